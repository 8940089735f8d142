#!/usr/bin/env python3
"""hostile_gen.py OUT_DIR -- pathological input for tests/cli/test_hostile.sh.

Writes one file per case (OUT_DIR/<case>.jsonl, one or a few lines each) and
OUT_DIR/cases.txt: "<case> <expect>" where expect is `accept` (the line is
an event), a reject reason name (ingest.h HU_REJECT_MAP), or `any` (either
way, as long as nothing crashes).  Every prompt carries no marker of its
own: these are shapes, not secrets."""
import json, os, sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
cases = []

def base(**kw):
    d = {"ts": "2026-02-10T14:03:22Z", "account_id": "hostile-1", "model": "m"}
    d.update(kw)
    return d

def put(name, expect, lines):
    with open(os.path.join(out, name + ".jsonl"), "wb") as f:
        for l in lines:
            f.write(l if isinstance(l, bytes) else l.encode())
            f.write(b"\n")
    cases.append((name, expect))

J = lambda d: json.dumps(d, ensure_ascii=False)

# megabyte prompts: cut to HU_MAX_FIELD_BYTES (256 KiB), counted
put("prompt_1mb", "accept", [J(base(prompt="lorem ipsum dolor " * 58255))])
put("prompt_4mb_messages", "accept", [J(base(messages=[{"role": "user", "content": "x" * (4 << 20)}]))])
# a line over HU_MAX_LINE_BYTES (16 MiB): rejected without being held
put("line_17mb", "line_too_long", [J(base(prompt="y" * (17 << 20)))])
# deep nesting: in an unknown field, as the top value, in messages
put("nest_100k_field", "too_deep", ['{"ts":1,"account_id":"a","junk":' + "[" * 100000 + "]" * 100000 + "}"])
put("nest_100k_top", "any", ["[" * 100000 + "]" * 100000])
put("nest_unclosed", "any", ['{"ts":1,"account_id":"a","x":' + '{"a":' * 50000])
put("nest_messages", "any", [J(base(messages=[{"role": "user", "content": [[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]}]))])
# invalid and overlong UTF-8, lone surrogates, NUL bytes
put("utf8_invalid", "invalid_utf8", [b'{"ts":1,"account_id":"a","prompt":"caf\xe9 \xff\xfe"}'])
put("utf8_overlong", "invalid_utf8", [b'{"ts":1,"account_id":"a","prompt":"\xc0\xaf \xe0\x80\xaf \xf0\x80\x80\xaf"}'])
put("utf8_surrogate_bytes", "invalid_utf8", [b'{"ts":1,"account_id":"a","prompt":"\xed\xa0\x80"}'])
put("utf8_above_10ffff", "invalid_utf8", [b'{"ts":1,"account_id":"a","prompt":"\xf4\x90\x80\x80"}'])
put("utf8_truncated_at_cut", "accept", [J(base(prompt="\u4e2d" * 100000))])   # 300 KB: cut inside a code point
put("escape_lone_surrogate", "any", ['{"ts":1,"account_id":"a","prompt":"\\ud800 x \\udfff"}'])
put("nul_raw", "not_json", [b'{"ts":1,"account_id":"a","prompt":"a\x00b"}'])
put("nul_escaped", "accept", [J(base(prompt="a\u0000b\u0000" * 1000))])
put("nul_in_account_id", "any", [J(base(account_id="a\u0000b"))])
put("binary_line", "any", [bytes(range(256)) * 64])
# 100,000 tools, 100,000 messages
put("tools_100k", "accept", [J(base(tools=["tool_%d" % i for i in range(100000)]))])
put("tool_objects_100k", "accept", [J(base(tools=[{"name": "t%d" % i, "x": [1, 2]} for i in range(100000)]))])
put("messages_100k", "accept", [J(base(messages=[{"role": "user" if i % 2 else "assistant", "content": "m%d" % i} for i in range(100000)]))])
put("id_10k", "id_too_long", [J(base(account_id="i" * 10000))])
# phrase-pattern worst cases (src/features/targets.c): repeated prefixes of
# the alternations, the (\S+ ){0,2} gaps, the .* pairwise pattern, the
# CJK .{0,12} gap, and text that expands 5x under masking
worst = {
    "re_response_a": "response a " * 23000,
    "re_reasoning_behind": "reasoning behind the " * 12000,
    "re_show_your": "show me your " + "x " * 120000,
    "re_step_by_step": "think step by step " * 13000,
    "re_judge_brackets": "[[a]] [[b]] [[1]] " * 14000,
    "re_cjk_gap": "\u7ed9" * 80000 + "\u6253\u5206",
    "re_grade_the": "grade the following " * 12000,
    "re_alternation_prefixes": "imagin reconstruc infe articulat recreat reverse-engineer " * 4500,
    "re_one_word": "a" * 260000,
    "re_mask_expansion": "1+" * 130000,
    "re_quotes": '"' * 200000,
    "re_code_fences": "```" * 80000,
    "re_mixed_scripts": "\u0417\u0434\u0440\u0430\u0432 \u4e2d\u6587 caf\u00e9 \U0001F600 " * 12000,
}
for name, text in worst.items():
    put(name, "accept", [J(base(prompt=text, system=text[:50000]))])

with open(os.path.join(out, "cases.txt"), "w") as f:
    for name, expect in cases:
        f.write("%s %s\n" % (name, expect))
