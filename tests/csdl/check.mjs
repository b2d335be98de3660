// check.mjs -- validate CSDL JSON documents ($metadata?$format=json)
// against the OASIS CSDL JSON schema with ajv, offline.  Test tooling only.
//
//   node check.mjs SCHEMA.json DOC.json [DOC.json...]
//
// Prints "ok FILE" or one line per error ("FILE: /json/pointer message
// {params}") and exits 0 when every document is valid, 1 when one is not,
// 2 when the schema or a document does not load.
//
// The schema is draft-07 with Unicode property escapes (\p{L}) in its
// patternProperties, which ajv compiles with the `u` flag by default.
// `strict: false` because the schema uses annotation keywords ajv's strict
// mode does not know ("examples" under $ref siblings); validation itself is
// unchanged by it.
import fs from 'node:fs';
import Ajv from 'ajv';

const [schemaPath, ...docs] = process.argv.slice(2);
if (!schemaPath || docs.length === 0) {
  console.error('usage: node check.mjs SCHEMA.json DOC.json...');
  process.exit(2);
}

let validate;
try {
  const ajv = new Ajv({ allErrors: true, strict: false });
  validate = ajv.compile(JSON.parse(fs.readFileSync(schemaPath, 'utf8')));
} catch (e) {
  console.error(`${schemaPath}: ${e.message}`);
  process.exit(2);
}

let bad = 0;
for (const path of docs) {
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (e) {
    console.error(`${path}: ${e.message}`);
    process.exit(2);
  }
  if (validate(doc)) {
    console.log(`ok ${path}`);
    continue;
  }
  bad++;
  // The schema's oneOf over every kind of schema element multiplies one
  // mistake into dozens of lines: the first ten say where it is.
  for (const e of validate.errors.slice(0, 10))
    console.log(`${path}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
  if (validate.errors.length > 10)
    console.log(`${path}: ... ${validate.errors.length - 10} more`);
}
process.exit(bad ? 1 : 0);
