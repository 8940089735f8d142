#!/usr/bin/env node
// check_outputs.js SCHEMA DIR... -- check the files of `huella analyze --out DIR`:
//
//   campaigns.json  valid against SCHEMA (docs/formats/campaigns.schema.json,
//                   draft 2020-12, ajv + ajv-formats), plus what a schema cannot
//                   say: n_accounts == accounts.length, first_seen <= last_seen,
//                   strongest first, no account in two campaigns, every
//                   indicator_detail entry listed under its indicators key;
//   accounts.csv    the columns of docs/formats/accounts.md: the exact header,
//                   RFC 4180 quoting, each column's type and range, flagged
//                   consistent with the action, campaign ids that exist in
//                   campaigns.json and agree with its member lists.
//
// Prints one line per directory; exits 1 if anything is wrong, 2 on usage or
// schema errors.  Used by tests/cli/test_report.sh and by any CLI test through
// tests/report/check-outputs.sh.
'use strict';
const fs = require('fs');
const path = require('path');
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

if (process.argv.length < 4) {
    console.error('usage: node check_outputs.js SCHEMA DIR...');
    process.exit(2);
}
let validate;
try {
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    validate = ajv.compile(JSON.parse(fs.readFileSync(process.argv[2], 'utf8')));
} catch (e) {
    console.error('schema: ' + e.message);
    process.exit(2);
}

// RFC 4180: fields separated by ',', records by '\n' (CRLF tolerated), quoted
// fields may hold , " CR LF with "" for a quote.  Returns rows or throws.
function parseCsv(text) {
    const rows = [];
    let row = [], f = '', i = 0, q = false, quotedField = false;
    while (i < text.length) {
        const c = text[i];
        if (q) {
            if (c === '"') {
                if (text[i + 1] === '"') { f += '"'; i += 2; continue; }
                q = false; i++; continue;
            }
            f += c; i++; continue;
        }
        if (c === '"') {
            if (f.length || quotedField) throw new Error('quote inside an unquoted field');
            q = true; quotedField = true; i++; continue;
        }
        if (c === ',') { row.push(f); f = ''; quotedField = false; i++; continue; }
        if (c === '\r' && text[i + 1] === '\n') { i++; continue; }
        if (c === '\n') { row.push(f); rows.push(row); row = []; f = ''; quotedField = false; i++; continue; }
        f += c; i++;
    }
    if (q) throw new Error('unterminated quoted field');
    if (f.length || row.length) { row.push(f); rows.push(row); }
    return rows;
}

const ACTIONS = ['allow', 'monitor', 'throttle', 'verify', 'withhold_reasoning', 'block'];
const HEADER = 'account_id,score,flagged,action,campaign_id,requests,reasons';

function checkDir(dir) {
    const errs = [];
    const err = (m) => { if (errs.length < 20) errs.push(m); };
    let camps;
    try {
        camps = JSON.parse(fs.readFileSync(path.join(dir, 'campaigns.json'), 'utf8'));
    } catch (e) {
        return ['campaigns.json: ' + e.message];
    }
    if (!validate(camps)) {
        for (const e of validate.errors.slice(0, 10))
            err(`campaigns.json${e.instancePath}: ${e.message} ${JSON.stringify(e.params)}`);
        return errs;
    }
    const member = new Map();
    const KEY = { ip: 'ips', prefix: 'prefixes', asn: 'asns', payment_fp: 'payment_fps',
                  client_fp: 'client_fps', headers_fp: 'headers_fps', user_agent: 'user_agents',
                  template: 'templates', system_prompt: 'system_prompts', tools: 'tool_sets' };
    camps.forEach((c, i) => {
        if (c.n_accounts !== c.accounts.length) err(`${c.id}: n_accounts ${c.n_accounts} != ${c.accounts.length} ids`);
        if (Date.parse(c.first_seen) > Date.parse(c.last_seen)) err(`${c.id}: first_seen after last_seen`);
        if (i && camps[i - 1].score < c.score) err(`${c.id}: not sorted strongest first`);
        for (const a of c.accounts) {
            if (member.has(a)) err(`account ${JSON.stringify(a)} in ${member.get(a)} and ${c.id}`);
            member.set(a, c.id);
        }
        for (const d of c.indicator_detail) {
            const list = c.indicators[KEY[d.type]];
            const v = d.type === 'asn' ? Number(d.value) : d.value;
            if (!list.includes(v)) err(`${c.id}: indicator ${d.type} ${JSON.stringify(d.value)} missing from indicators.${KEY[d.type]}`);
        }
    });
    const ids = new Set(camps.map((c) => c.id));
    if (ids.size !== camps.length) err('campaign ids are not unique');

    let rows;
    try {
        rows = parseCsv(fs.readFileSync(path.join(dir, 'accounts.csv'), 'utf8'));
    } catch (e) {
        errs.push('accounts.csv: ' + e.message);
        return errs;
    }
    if (!rows.length || rows[0].join(',') !== HEADER) err(`accounts.csv: header is not "${HEADER}"`);
    const seen = new Set();
    let inCamp = 0;
    for (let r = 1; r < rows.length; r++) {
        const [id, score, flagged, action, cid, requests, reasons] = rows[r];
        const at = `accounts.csv line ${r + 1}`;
        if (rows[r].length !== 7) { err(`${at}: ${rows[r].length} columns, not 7`); continue; }
        if (!id.length) err(`${at}: empty account_id`);
        if (seen.has(id)) err(`${at}: account ${JSON.stringify(id)} twice`);
        seen.add(id);
        if (!/^(0|1)\.\d{4}$/.test(score) || Number(score) > 1) err(`${at}: score ${JSON.stringify(score)} not 0..1 with 4 decimals`);
        if (flagged !== '0' && flagged !== '1') err(`${at}: flagged ${JSON.stringify(flagged)}`);
        if (!ACTIONS.includes(action)) err(`${at}: action ${JSON.stringify(action)}`);
        // shadow mode may report `allow` for an account huella would act on
        else if (flagged === '0' && ACTIONS.indexOf(action) > 1) err(`${at}: action ${action} but flagged 0`);
        if (cid !== '') {
            if (!ids.has(cid)) err(`${at}: campaign ${cid} not in campaigns.json`);
            else if (member.get(id) !== cid) err(`${at}: campaign ${cid} does not list the account`);
            inCamp++;
        } else if (member.has(id)) err(`${at}: account listed in ${member.get(id)} but campaign_id is empty`);
        if (!/^(0|[1-9]\d*)$/.test(requests)) err(`${at}: requests ${JSON.stringify(requests)}`);
        if (reasons !== '' && !/^[a-z][a-z0-9_]*=-?\d+(\.\d+)?(;[a-z][a-z0-9_]*=-?\d+(\.\d+)?)*$/.test(reasons))
            err(`${at}: reasons ${JSON.stringify(reasons)}`);
    }
    if (inCamp !== member.size) err(`accounts.csv: ${inCamp} rows with a campaign, campaigns.json lists ${member.size}`);
    return errs;
}

let bad = 0;
for (const dir of process.argv.slice(3)) {
    const errs = checkDir(dir);
    if (errs.length) {
        bad++;
        console.log(`${dir}: INVALID`);
        for (const e of errs) console.log('  ' + e);
    } else {
        console.log(`${dir}: campaigns.json valid against the schema, accounts.csv columns valid`);
    }
}
process.exit(bad ? 1 : 0);
