// @peculiar/x509's dependency injection (tsyringe) needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

/**
 * A small certificate authority on WebCrypto (ECDSA P-256): a self-signed root kept under the sandbox
 * data dir (key file mode 0600) and short-lived leaf certificates for attached domains. Clients trust the
 * sandbox by trusting `ca.pem` — the same shape as a real provider's managed certificates, minus ACME.
 */

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
const ROOT_DAYS = 3650;
const LEAF_DAYS = 90;

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  serial: string;
  sha256Fingerprint: string;
  notBefore: Date;
  notAfter: Date;
}

function toPem(label: string, der: ArrayBuffer): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

function fromPem(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** A positive serial of 16 random bytes (the top bit cleared so DER keeps it positive). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  return toPem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', key));
}

export class CertificateAuthority {
  readonly certificate: x509.X509Certificate;
  readonly #key: webcrypto.CryptoKey;
  readonly #now: () => number;

  private constructor(certificate: x509.X509Certificate, key: webcrypto.CryptoKey, now: () => number) {
    this.certificate = certificate;
    this.#key = key;
    this.#now = now;
  }

  /** Loads the root from `dir`, creating it on first use. */
  static async open(dir: string, now: () => number = Date.now): Promise<CertificateAuthority> {
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    const certFile = join(dir, 'ca.pem');
    const keyFile = join(dir, 'ca.key.pem');
    if (existsSync(certFile) && existsSync(keyFile)) {
      const key = await webcrypto.subtle.importKey(
        'pkcs8',
        fromPem(readFileSync(keyFile, 'utf8')),
        ALGORITHM,
        true,
        ['sign'],
      );
      return new CertificateAuthority(new x509.X509Certificate(readFileSync(certFile, 'utf8')), key, now);
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const notBefore = new Date(now() - DAY_MS);
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: 'CN=projects sandbox edge CA, O=projects sandbox',
      notBefore,
      notAfter: new Date(notBefore.getTime() + ROOT_DAYS * DAY_MS),
      signingAlgorithm: SIGNING,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    writeFileSync(keyFile, await exportKey(keys.privateKey as webcrypto.CryptoKey), { mode: 0o600 });
    writeFileSync(certFile, certificate.toString('pem'));
    return new CertificateAuthority(certificate, keys.privateKey as webcrypto.CryptoKey, now);
  }

  get pem(): string {
    return this.certificate.toString('pem');
  }

  /** Issues a server certificate for `hostnames` (the first is the subject), valid for 90 days. */
  async issue(hostnames: readonly string[]): Promise<IssuedCertificate> {
    const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair;
    const notBefore = new Date(this.#now() - 60_000);
    const notAfter = new Date(notBefore.getTime() + LEAF_DAYS * DAY_MS);
    const serial = randomSerial();
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: `CN=${hostnames[0]}`,
      issuer: this.certificate.subject,
      notBefore,
      notAfter,
      signingAlgorithm: SIGNING,
      publicKey: keys.publicKey,
      signingKey: this.#key as x509.X509CertificateCreateWithKeyParams['signingKey'],
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(hostnames.map((value) => ({ type: 'dns' as const, value }))),
        await x509.AuthorityKeyIdentifierExtension.create(this.certificate.publicKey),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const fingerprint = Buffer.from(await certificate.getThumbprint('SHA-256')).toString('hex');
    return {
      certPem: certificate.toString('pem'),
      keyPem: await exportKey(keys.privateKey as webcrypto.CryptoKey),
      serial,
      sha256Fingerprint: fingerprint,
      notBefore,
      notAfter,
    };
  }
}
