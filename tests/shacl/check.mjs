// check.mjs -- validate one RDF document (JSON-LD or Turtle) against SHACL
// shapes with rdf-validate-shacl, offline.  Test tooling only.
//
//   node check.mjs jsonld|turtle DATA SHAPES.ttl [SHAPES.ttl...]
//
// Prints one line per result ("Violation <focus> <path>: <message>") and a
// summary "violations=N warnings=M triples=T"; exit 0 when N is 0, 1 when
// not, 2 when the data or shapes do not parse.
//
// The shapes use sh:class on FOAF/vCard/DCTERMS classes; SHACL follows
// rdfs:subClassOf only through the data graph, and no vocabulary is fetched
// here, so the few subclass facts the shapes rely on are added to the data
// graph (see ../shared/schemas/dcat-ap/SOURCE.md).
import fs from 'node:fs';
import jsonld from 'jsonld';
import N3 from 'n3';
import rdf from 'rdf-ext';
import SHACLValidator from 'rdf-validate-shacl';

const [fmt, dataPath, ...shapePaths] = process.argv.slice(2);
if (!fmt || !dataPath || shapePaths.length === 0) {
  console.error('usage: node check.mjs jsonld|turtle DATA SHAPES.ttl...');
  process.exit(2);
}

function parseTurtle(text, base) {
  const quads = new N3.Parser({ baseIRI: base }).parse(text);
  return rdf.dataset(quads.map((q) => rdf.quad(q.subject, q.predicate, q.object, rdf.defaultGraph())));
}

const SUBCLASS = `
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
foaf:Organization rdfs:subClassOf foaf:Agent .
foaf:Person rdfs:subClassOf foaf:Agent .
vcard:Organization rdfs:subClassOf vcard:Kind .
vcard:Individual rdfs:subClassOf vcard:Kind .
`;

let data;
try {
  const text = fs.readFileSync(dataPath, 'utf8');
  if (fmt === 'jsonld') {
    // No network: any remote context is refused, so a served document must
    // carry its context inline.
    const documentLoader = async (url) => { throw new Error(`refusing to fetch ${url}`); };
    const nq = await jsonld.toRDF(JSON.parse(text), { format: 'application/n-quads', documentLoader });
    data = parseTurtle(nq);
  } else if (fmt === 'turtle') {
    data = parseTurtle(text);
  } else {
    throw new Error(`unknown format ${fmt}`);
  }
} catch (e) {
  console.error(`data does not parse: ${e.message}`);
  process.exit(2);
}
const ntriples = data.size;
for (const q of parseTurtle(SUBCLASS)) data.add(q);

const shapes = rdf.dataset();
try {
  for (const p of shapePaths) for (const q of parseTurtle(fs.readFileSync(p, 'utf8'))) shapes.add(q);
} catch (e) {
  console.error(`shapes do not parse: ${e.message}`);
  process.exit(2);
}

const report = await new SHACLValidator(shapes).validate(data);
let violations = 0, warnings = 0;
for (const r of report.results) {
  const sev = r.severity ? r.severity.value.replace(/.*#/, '') : 'Violation';
  if (sev === 'Violation') violations++; else warnings++;
  const msg = r.message.map((m) => m.value).join('; ');
  console.log(`${sev} ${r.focusNode ? r.focusNode.value : '?'} ${r.path ? r.path.value : ''}: ${msg}`);
}
console.log(`violations=${violations} warnings=${warnings} triples=${ntriples}`);
process.exit(violations === 0 ? 0 : 1);
