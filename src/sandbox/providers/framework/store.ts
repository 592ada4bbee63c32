import type { Db } from '../../db.js';
import type { ResourceRecord } from './types.js';

/** The framework's tables, one set per provider (prefixed `prov_<id>_`). */
export function frameworkMigrations(table: (name: string) => string): string[] {
  return [
    `CREATE TABLE ${table('signatures')} (signature TEXT PRIMARY KEY, t INTEGER NOT NULL);
     CREATE TABLE ${table('accounts')} (
       id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, password_hash TEXT,
       auto_created INTEGER NOT NULL, created_at INTEGER NOT NULL);
     CREATE TABLE ${table('account_requests')} (
       id TEXT PRIMARY KEY, account_id TEXT NOT NULL REFERENCES ${table('accounts')}(id),
       scopes TEXT NOT NULL, code_challenge TEXT NOT NULL, redirect_uri TEXT NOT NULL, state TEXT NOT NULL,
       consent_token TEXT NOT NULL, status TEXT NOT NULL, expires_at INTEGER NOT NULL);
     CREATE TABLE ${table('codes')} (
       code_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, scopes TEXT NOT NULL,
       code_challenge TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
     CREATE TABLE ${table('account_tokens')} (
       token_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, scopes TEXT NOT NULL, created_at INTEGER NOT NULL);
     CREATE TABLE ${table('links')} (
       token_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL, purpose TEXT NOT NULL,
       expires_at INTEGER NOT NULL, used_at INTEGER);
     CREATE TABLE ${table('quotes')} (
       id TEXT PRIMARY KEY, service_id TEXT NOT NULL, config_hash TEXT NOT NULL, body TEXT NOT NULL,
       expires_at INTEGER NOT NULL);
     CREATE TABLE ${table('resources')} (
       id TEXT PRIMARY KEY, account_id TEXT NOT NULL, service_id TEXT NOT NULL, status TEXT NOT NULL,
       configuration TEXT NOT NULL, details TEXT NOT NULL, billing TEXT NOT NULL,
       idempotency_key TEXT, request_hash TEXT, capture_attempt INTEGER NOT NULL DEFAULT 0,
       sealed_answer TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
       UNIQUE (account_id, idempotency_key));
     CREATE TABLE ${table('credentials')} (
       token_hash TEXT PRIMARY KEY, resource_id TEXT NOT NULL, kind TEXT NOT NULL, created_at INTEGER NOT NULL);
     CREATE INDEX ${table('credentials_by_resource')} ON ${table('credentials')}(resource_id);`,
  ];
}

export interface ResourceRow {
  id: string;
  account_id: string;
  service_id: string;
  status: ResourceRecord['status'];
  configuration: string;
  details: string;
  billing: string;
  idempotency_key: string | null;
  request_hash: string | null;
  capture_attempt: number;
  sealed_answer: string | null;
  created_at: number;
  updated_at: number;
}

export function toRecord(row: ResourceRow): ResourceRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    serviceId: row.service_id,
    status: row.status,
    configuration: JSON.parse(row.configuration) as Record<string, unknown>,
    details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

export function loadResource(db: Db, table: (name: string) => string, id: string): ResourceRow | undefined {
  return db.prepare(`SELECT * FROM ${table('resources')} WHERE id = ?`).get(id) as ResourceRow | undefined;
}
