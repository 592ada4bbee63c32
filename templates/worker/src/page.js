export function page(host) {
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Hello from a worker</title></head>
  <body>
    <h1>Hello from a worker</h1>
    <p>Served by <code>src/index.js</code> on ${host.replace(/[<>&"]/g, '')}.</p>
  </body>
</html>
`;
}
