#!/usr/bin/env node
// validate.js SCHEMA_ROOT BUNDLE.json...
//
// Validates STIX 2.1 bundles against the official OASIS JSON Schemas
// (draft 2020-12) with ajv + ajv-formats.  Every schema file under
// SCHEMA_ROOT/schemas is loaded first, because the schemas reference each
// other by relative $ref resolved against their URL $id; then each bundle
// is checked against common/bundle.json AND each object against the schema
// of its own type (the bundle schema's anyOf falls back to a generic
// object, so a per-type check is the one that catches a bad indicator).
// Prints one line per bundle; exits 1 if any bundle is invalid, 2 on
// usage or schema-loading errors.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

if (process.argv.length < 4) {
    console.error('usage: node validate.js SCHEMA_ROOT BUNDLE.json...');
    process.exit(2);
}
const root = path.join(process.argv[2], 'schemas');
// unicodeRegExp off: the OASIS schemas use escapes such as '\-' that
// JavaScript's 'u' regex flag rejects.
const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false });
addFormats(ajv);
// idn-hostname is not in ajv-formats; domain-name values are not exported.
ajv.addFormat('idn-hostname', true);

const byFile = {};
function walk(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.json')) {
            const s = JSON.parse(fs.readFileSync(p, 'utf8'));
            ajv.addSchema(s);
            byFile[path.relative(root, p)] = s.$id;
        }
    }
}
try { walk(root); } catch (e) { console.error('schema load: ' + e.message); process.exit(2); }
const nSchemas = Object.keys(byFile).length;
if (nSchemas < 40) { console.error('only ' + nSchemas + ' schemas found under ' + root); process.exit(2); }

function schemaFor(type) {
    for (const dir of ['sdos', 'sros', 'common', 'observables']) {
        const id = byFile[path.join(dir, type + '.json')];
        if (id) return ajv.getSchema(id);
    }
    return null;
}

let bad = 0;
const bundleV = ajv.getSchema(byFile[path.join('common', 'bundle.json')]);
for (const f of process.argv.slice(3)) {
    let doc;
    try { doc = JSON.parse(fs.readFileSync(f, 'utf8')); } catch (e) {
        console.log('FAIL ' + f + ': not JSON: ' + e.message); bad++; continue;
    }
    const errs = [];
    // The official bundle schema sends any type it does not list (such as
    // extension-definition) to a "custom object" branch that is a oneOf of
    // core.json and cyber-observable-core.json; an extension-definition
    // with only standard properties satisfies both, so oneOf fails for
    // every valid extension-definition.  Those objects are therefore
    // checked against common/extension-definition.json below (strictly,
    // like every other object) and left out of the envelope check only.
    const envelope = Object.assign({}, doc);
    if (Array.isArray(doc.objects))
        envelope.objects = doc.objects.filter(o => !o || o.type !== 'extension-definition');
    if (!bundleV(envelope)) errs.push('bundle: ' + ajv.errorsText(bundleV.errors).slice(0, 400));
    for (const o of (doc.objects || [])) {
        const v = schemaFor(o.type);
        if (!v) { errs.push(o.id + ': no schema for type ' + o.type); continue; }
        if (!v(o)) errs.push(o.id + ': ' + ajv.errorsText(v.errors));
    }
    if (errs.length) { console.log('FAIL ' + f + '\n  ' + errs.slice(0, 20).join('\n  ')); bad++; }
    else console.log('ok ' + f + ' (' + (doc.objects || []).length + ' objects, ' + nSchemas + ' schemas loaded)');
}
process.exit(bad ? 1 : 0);
