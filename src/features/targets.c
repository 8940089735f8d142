/*
 * targets.c -- phrase patterns and request-shape hints (see targets.h).
 *
 * The phrase table
 * ----------------
 * Each row says which target a phrase points to, how much (weight, added
 * once per prompt), in which language, and a note.  The regexes run over
 * the scan text: lower case, one space between words, numbers written
 * "<num>", quoted strings "<str>", code "<code>", fullwidth forms folded to
 * ASCII (so Chinese "，" is ",").  Names are NOT masked in the scan text.
 *
 * Weights: 1.4-1.6 for a phrase that on its own says what is wanted
 * ("imagine and articulate the internal reasoning", "which response is
 * better"); 0.6-1.0 for a strong hint; 0.3-0.5 for phrases honest users
 * write all the time ("think step by step", "python", "<code>").  A target's
 * rule score is 1 - exp(-sum of weights): one strong phrase gives ~0.8, one
 * weak phrase ~0.26, a weak phrase plus thinking ~0.36.
 *
 * How the table is compiled (and why: speed, with exactly the results of
 * compiling every row with CASELESS | UTF8 | SINGLEMATCH into one block-mode
 * database, as this file did until the change; tests/unit/
 * test_targets_equiv.c holds hu_targets_scan to that, on the prompts corpus,
 * samples generated from every row's own regex, case mutations and word
 * salads):
 *
 *   - HS_FLAG_CASELESS only on rows that need it.  The scan text is lower
 *     case for ASCII (the normaliser folds A-Z everywhere, fullwidth
 *     letters to ASCII, writes its masks in lower case), so for rows of
 *     ASCII, Han, kana and Hangul the flag only adds what the text cannot
 *     hold -- except two letters Hyperscan's UTF-8 folding adds to ASCII
 *     ones (probed over every code point up to U+2FFFF): U+017F LONG S for
 *     's' (the normaliser folds it to 's') and U+212A KELVIN SIGN for 'k'
 *     (left as is), so these rows spell 'k' as [k\x{212A}].  Rows with
 *     other non-ASCII letters (accents, Cyrillic...) keep the flag.  In
 *     Hyperscan each caseless 's' and 'k' turns a literal into a class with
 *     a multi-byte branch: dropping the flag took bench_json's scan from
 *     3.1 to 2.8 us a line, the compile from 0.41 to 0.28 s.
 *   - Branches that cannot match without a '(' ("return \w+\(", "def
 *     \w+\(", "function \w+\(", "\w+\(\) *\{" of two coding rows) are not
 *     compiled: scan_pwords matches them by hand over memchr's '(' bytes
 *     ("<prefix>\w+\(" with a literal prefix ending in a space: the word
 *     run before the '(' must be preceded by the prefix; "\w+\(\) *\{":
 *     "()", spaces, '{').  In the main database their leading words
 *     launched a \w+ engine at every occurrence (2.8 -> 2.3 us a line on
 *     bench_json's salad when they moved to a second database scanned when
 *     the text has a '('); on real prompts most lines have a '(' and that
 *     second scan cost 0.18 us a line: by hand, 1.52 -> 1.39 us (bench_scan,
 *     real set).  Other branches that need a '(' would still go to that
 *     second database (none today).
 *   - Boundary literals: branches "\b(lit|lit|...)\b", "\blit\b" (the
 *     language row, "\brepo\b", "\bgui\b", "\bocr\b") are compiled as pure
 *     literals without SINGLEMATCH, one expression per literal and per
 *     spelling of its 'k's; the callback checks each \b itself as
 *     Hyperscan would without HS_FLAG_UCP (probed: a word byte is
 *     [0-9A-Za-z_], any byte of a multi-byte code point -- U+212A too --
 *     and the outside of the text are not; "c\+\+\b" needs a word byte
 *     after the "++").  1.65 -> 1.54 us a line on the real set, 2.62 ->
 *     2.49 on the salad (bench_scan).
 *   - Four rows that start with common words and go on with "(\S+ )"
 *     gaps -- "(write|...|code) ... (function|...)s?\b", "(call|invoke|
 *     use) (the|...) (\S+ ){0,2}(tool|...)\b", "(show|...) (all (of )?)?
 *     (your|the) (\S+ )?(reasoning|...)\b", "(show|reveal|...) (me )?
 *     (your|the|...) (\S+ ){0,2}(chain...|scratchpad|...)" -- are matched
 *     backwards from their LAST word (struct hand_row, recognised by their
 *     exact text; the last three are one struct shape "V (O)?D (\S+ ){0,n}
 *     W"): the last word's literals are pure literals in the main database,
 *     and for each occurrence the callback checks what may follow it
 *     ("s?\b", "\b" or nothing) and walks back at most as many runs of \S
 *     as the row has gaps (wc_left, shape_left: O(1) runs per occurrence,
 *     so O(len) per text).  Left out of the table, the first three cost
 *     ~0.12, ~0.07 and ~0.08 us a line on the real set, ~0.52, ~0.29 and
 *     ~0 on the salad; by hand, all four: real 1.39 -> 1.25 us, salad
 *     2.43 -> 2.66 (the salad says "function", "tool" and "reasoning" ~10
 *     times a line, each a callback).  The rubric row ("(according to|
 *     ...) (the|...) (\S+ ){0,2}(rubric|...)") by hand too saved 0.02 us
 *     on the real set and cost 0.16 on the salad ("rubric" is a salad
 *     word): left to Hyperscan.
 *   Reports: a row may now be several expressions (boundary literals and
 *   the rest) and hand-matched parts: each scan keeps a row's first report
 *   only, in end-offset order (a hand row may end one byte after its
 *   report: inserted in order), and the '(' matches are merged with the
 *   main scan's by end offset (a row split over both counts once, at its
 *   first end), so sums add in end-offset order as before.  Rows that end
 *   at the same offset: Hyperscan's own reports keep their order, and a
 *   report from a literal's callback goes where the reference put that row
 *   (before rows whose match ends in "\b", which Hyperscan checks on the
 *   next byte, then by row number; goes_before) -- appended last, three
 *   hits of one target at one offset added in another order gave sums one
 *   bit apart.  Other ties may still come in another order than the
 *   reference's (it leaves the order unspecified): the test counts them
 *   (~0.2% of its scans) and finds no sum that differs by a bit.  tests/unit/test_targets_edges.c holds the hand-made parts to
 *   the reference at their edges (every neighbour byte pair of every
 *   boundary literal, near misses, the rows' grammars).
 *
 * All of it, measured by us with `bench_json 64 3 stages,real` ("text:
 * Hyperscan targets", binaries before and after interleaved, medians of
 * 4-5 runs): real prompts file 1.61 -> 1.28 us a line, salad file 2.36 ->
 * 2.44 (its words are the hand rows' last words); the table compiles in
 * ~0.27 s instead of ~0.30.
 *
 * Where the time goes (measured by us with bench/bench_scan.c, 20,000
 * lines of real prompts joined to ~0.95 KB and 20,000 of bench_json's
 * salad, each row left out of the whole table and each row alone,
 * minimum of 5-7 runs on the shared 2-core EPYC; docs/internals/
 * features.md): not in rows that are pure literals (one FDR pass for all)
 * but in rows whose first literal is a common word followed by a gap or an
 * unbounded repeat -- Hyperscan triggers on the leftmost literal and runs
 * an engine from each occurrence, whatever the rarer words after it.
 * Leave-one-out numbers are NOT additive: the database's structure
 * changes with its rows.  Left out of the table, the language row made
 * the real set 0.4 us SLOWER, the 11 Russian rows 0.2 us slower, the 69
 * rows that need a non-ASCII byte 0.12 us slower (so gating them on a
 * non-ASCII byte does not pay), while the two rows "(нажми|...) на" and
 * "(изображении|...)" cost 0.07 us together; measure the whole table
 * after each change.
 * Tried and measured, not kept: expanding alternations into literal cross
 * products (faster for one row, slower for the table: FDR confirms more
 * literals at every common word), splitting a row's alternatives into
 * expressions sharing its id (compiles to the same database), dropping
 * HS_FLAG_UTF8 (~2%), SINGLEMATCH off (slower), platform tuning (the host
 * is already targeted), gating more rows on a necessary literal (the
 * anchor literals cost as much in FDR as the rows they guard); on the real
 * set: a database without U+212A spellings used when the text has no
 * U+212A (no faster), gating the write-...-function row on its last word
 * (that word is in 41% of real lines and the row alone costs 0.33 us),
 * gating "(show|...) ... (reasoning|...)", "(show|reveal|...) ...
 * (chain...|scratchpad|...)" and "(according to|...) ... (rubric|...)"
 * on their last words in a second database (0.5% of real lines, -0.13 us,
 * but the salad says "reasoning" and "rubric" on every line and that
 * database alone costs 0.39 us there: +15%), moving "import \w+ from"
 * out (no change), short never-matching literals to steer the literal
 * matcher (no change).
 *
 * Compile time matters (every process and every test binary compiles the
 * table): bounded wildcards over UTF-8 are expensive to compile --
 * ".{0,300}" alone took 9.8 s -- so gaps are written as "(\S+ ){0,3}"
 * (word counts) or an unbounded ".*" (text is one line after
 * normalisation).  To find a slow row, compile each row alone with
 * hs_compile() and time it (docs/internals/features.md).
 */
#include <hs.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "features/targets.h"
#include "core/alloc.h"
#include "core/assert.h"

#define R HU_TARGET_COT
#define G HU_TARGET_GRADING
#define W HU_TARGET_REWRITE
#define C HU_TARGET_CODING
#define T HU_TARGET_TOOLS
#define U HU_TARGET_COMPUTER
#define V HU_TARGET_VISION

/* ---- the table ------------------------------------------------------------ */

static const struct hu_target_pattern table[] = {
    /* ---- reasoning-trace reconstruction ---- */
    { "(imagine|reconstruct|infer|articulate|recreate|reverse[- ]engineer)( and \\w+)? (the |your |a )?(internal |hidden |underlying |implicit |inner |private )?(reasoning|thought process|thinking|chain[- ]of[- ]thought)",
      R, 1.6, "en", "asks to invent the reasoning behind a given output (campaign 1)" },
    { "(reasoning|thought process|thinking) (behind|that led to|leading to|that produced) (a|the|this|that) (\\S+ ){0,2}(response|answer|solution|output|completion)",
      R, 1.4, "en", "reasoning for a completed answer; honest tutoring asks 'why' differently" },
    { "explain,? step[ -]by[ -]step,? how (you|one|the model|the assistant) (arrived|got|came|reached|derived)",
      R, 1.5, "en", "step-by-step account of how an answer was reached" },
    { "(show|reveal|write out|output|display|give me|print|include|expose) (me )?(your|the|all|full|complete|entire|detailed) (\\S+ ){0,2}(chain[- ]of[- ]thought|reasoning (trace|steps|process)|thought process|inner monologue|scratchpad|thinking process)",
      R, 1.5, "en", "asks for the trace itself" },
    { "reasoning traces?", R, 1.2, "en", "dataset vocabulary" },
    { "(reasoning|thought process|derivation|chain[- ]of[- ]thought|thinking|steps)( process| steps| trace)? (that |which )?(leads?|led|leading|gets|got|lead) to (the|this|that|your|its|a) (\\S+ )?(answer|solution|result|conclusion)",
      R, 1.3, "en", "reasoning towards a given answer" },
    { "(problem|question|task)s? and (its|the|their) (final |correct |given |reference )?(answer|solution)s?", R, 0.6, "en", "a finished answer is supplied with the task (answer keys in tutoring too)" },
    { "how to (reach|arrive at|get to|obtain|derive) (the|this|that) (\\S+ )?(answer|solution|result)", R, 0.6, "en", "" },
    { "internal monologue|think(ing)? out loud|stream of consciousness", R, 0.8, "en", "" },
    { "(show|write down|write out|include|give|present) (all (of )?)?(your|the) (\\S+ )?(reasoning|chain[- ]of[- ]thought|thought process)\\b", R, 0.8, "en", "\"show your work\" (homework) is not matched" },
    { "do not skip any steps?|don't skip any steps?|every intermediate step|each intermediate step|(walk|go) through (every|each) step of the reasoning", R, 0.8, "en", "" },
    { "(verbatim|full|complete|raw|entire|unabridged) (chain[- ]of[- ]thought|reasoning|thinking)", R, 1.0, "en", "" },
    { "(step[ -]by[ -]step|detailed|explicit) (reasoning|rationale|derivation|justification) (for|behind|of|leading to) (the|this|a|each) (\\S+ ){0,2}(answer|response|solution)",
      R, 1.2, "en", "rationale for a given answer" },
    { "chain[- ]of[- ]thought", R, 0.6, "en", "also common in honest prompt-engineering talk" },
    { "(explain|describe|walk (me )?through|narrate) (your|the|its) (reasoning|thought process|thinking|internal monologue)", R, 0.4, "en", "\"explain your reasoning\" is ordinary tutoring and benchmark phrasing" },
    { "<think>|</think>|<thinking>|<reasoning>", R, 0.6, "en", "asks for trace tags" },
    { "think(ing)? (it through )?step[ -]by[ -]step", R, 0.3, "en", "benchmark runners say this too: weak" },
    { "(before|then) (giving|writing|stating|providing) (the|your) final answer", R, 0.4, "en", "" },
    { "(详细|完整|全部|完整的|详细的)的?(推理|思考|思维|解题)(过程|步骤|链)", R, 1.0, "zh", "" },
    { "(写出|展示|给出|输出|还原|重建|重构|呈现|列出)(你的|完整的|详细的|全部的|内部的)?(思考|推理|思维)(过程|链|步骤|轨迹)", R, 1.6, "zh", "write out the reasoning trace" },
    { "思维链|推理链|推理轨迹", R, 0.9, "zh", "" },
    { "(内部|内在|隐藏|背后)的?(推理|思考|思路)", R, 1.2, "zh", "internal reasoning" },
    { "(你是如何|你是怎么|是如何|怎样|如何)(得出|得到|推导出|推出)(这个|该|此|最终)?(答案|结论|结果)", R, 1.2, "zh", "" },
    { "(得到|得出|推导出|推出)(这个|该|此|最终)?(答案|结论|结果)的", R, 0.9, "zh", "reasoning towards a given answer" },
    { "不要跳过任何步骤|每一步都要写清楚|写出每一步", R, 0.6, "zh", "" },
    { "(一步一步|一步步|逐步|分步)地?(思考|推理|分析|解释|说明|推导)", R, 0.35, "zh", "common in honest maths help: weak" },
    { "paso a paso", R, 0.3, "es", "weak" },
    { "(explica|describe|muestra|escribe|detalla|reconstruye)( \\S+){0,3} (tu|el|su) (razonamiento|proceso de pensamiento|cadena de pensamiento|proceso de razonamiento)",
      R, 1.2, "es", "" },
    { "cadena de pensamiento", R, 0.8, "es", "" },
    { "c[oó]mo (llegaste|llegaste|se lleg[oó]|has llegado) a (la|esta|tu|esa) (respuesta|soluci[oó]n|conclusi[oó]n)", R, 1.4, "es", "" },
    { "razonamiento (interno|detallado|completo|oculto)", R, 1.0, "es", "" },
    { "razonamiento que (lleva|conduce|llev[oó]|condujo) a (la|esa|esta|tu) (respuesta|soluci[oó]n|conclusi[oó]n)", R, 1.3, "es", "" },
    { "(escribe|muestra|explica),? paso a paso,? (todo )?(el|tu) razonamiento", R, 0.8, "es", "" },
    { "(étape par étape|pas à pas)", R, 0.3, "fr", "weak" },
    { "(explique|montre|détaille|expliquez|montrez)( \\S+){0,2} (ton|votre|le) raisonnement", R, 1.1, "fr", "" },
    { "cha[iî]ne de pens[ée]e", R, 0.8, "fr", "" },
    { "schritt f[üu]r schritt", R, 0.3, "de", "weak" },
    { "(erkläre|zeige|erklären sie|zeigen sie)( \\S+){0,2} (deinen|ihren|den) (gedankengang|denkprozess|lösungsweg)", R, 1.1, "de", "" },
    { "gedankenkette", R, 0.8, "de", "" },
    { "шаг за шагом", R, 0.3, "ru", "weak" },
    { "(покажи|объясни|опиши|распиши)( \\S+){0,2} (ход |свои |твои )?(рассуждени|размышлени|мысл)", R, 1.1, "ru", "" },
    { "цепочк[аиуе] (рассуждений|мыслей)", R, 0.8, "ru", "" },
    { "思考過程|推論過程", R, 0.8, "ja", "" },
    { "ステップバイステップ|段階的に", R, 0.3, "ja", "weak" },
    { "추론 과정|사고 과정", R, 0.8, "ko", "" },
    { "단계별로", R, 0.3, "ko", "weak" },

    /* ---- grading / reward data ---- */
    { "(grade|score|rate|evaluate|assess|judge|critique) (the|this|each|following|these|both|all|my)( \\S+){0,3} (answer|response|essay|completion|output|submission|solution|reply)s?",
      G, 1.0, "en", "teachers grade essays too: medium" },
    { "on a scale (of|from) <num> ?(to|-|–) ?<num>", G, 0.8, "en", "" },
    { "(according to|based on|using|against) (the|this|a|following|given|provided) (\\S+ ){0,2}(rubric|scoring guide|grading criteria|marking scheme|evaluation criteria|scoring criteria)",
      G, 1.4, "en", "" },
    { "rubric", G, 0.6, "en", "" },
    { "which (of the (two|following|responses|answers) )?(response|answer|completion|output|assistant|reply)s? (is|was) (better|more helpful|preferred|best|more accurate|superior)",
      G, 1.4, "en", "pairwise preference (reward data)" },
    { "(response|assistant|answer|output|completion) a\\b.*\\b(response|assistant|answer|output|completion) b\\b", G, 0.8, "en", "pairwise layout" },
    { "\\[\\[a\\]\\]|\\[\\[b\\]\\]|\\[\\[<num>\\]\\]", G, 0.8, "en", "LLM-as-judge verdict format (also used by benchmark runners)" },
    { "(decide|determine|tell me|judge|say) which (one |response |answer )?(is|was) (better|more helpful|preferred|best)|which (one|of the two) is better", G, 0.9, "en", "" },
    { "(for each|per) criterion|overall score|score per criterion", G, 0.6, "en", "" },
    { "(impartial|fair|expert|strict) (judge|grader|evaluator)", G, 1.0, "en", "" },
    { "(reward model|preference data|pairwise comparison|preference pair)", G, 0.6, "en", "" },
    { "(output|give|provide|assign|return) (a|your|the|an overall) (numeric |numerical |final )?(score|rating|grade)", G, 0.6, "en", "" },
    { "评分标准|评分细则|评分规则|打分标准|评分准则|评估标准", G, 1.2, "zh", "" },
    { "(给|为|对).{0,12}(打分|评分)", G, 1.0, "zh", "" },
    { "哪(个|一个)(回答|回复|答案|输出)(更好|更优|更佳|更准确)", G, 1.4, "zh", "" },
    { "<num>分制|满分<num>分|(<num>|十)分(为|是)满分", G, 0.8, "zh", "" },
    { "(评估|评价|评判)(以下|下面|这个|这些|两个)?的?(回答|回复|答案)", G, 1.0, "zh", "" },
    { "(califica|calificar|eval[uú]a|evaluar|punt[uú]a|puntuar|valora)( \\S+){0,3} (la|las|el|los|esta|estas|cada) (\\S+ ){0,2}(respuesta|respuestas|ensayo|soluci[oó]n)",
      G, 1.0, "es", "" },
    { "en una escala (de|del) <num> (a|al) <num>", G, 0.8, "es", "" },
    { "r[uú]brica", G, 0.8, "es", "" },
    { "(cu[aá]l|qu[eé]) (de las (dos|siguientes) )?respuestas? (es|fue) (mejor|m[aá]s [uú]til|preferible)", G, 1.4, "es", "" },
    { "criterios de (evaluaci[oó]n|calificaci[oó]n)", G, 0.8, "es", "" },
    { "grille d'[ée]valuation|crit[eè]res d'[ée]valuation", G, 1.0, "fr", "" },
    { "(note|évalue|notez|évaluez) (la|les|cette|chaque) r[ée]ponse", G, 1.0, "fr", "" },
    { "quelle r[ée]ponse est (la )?meilleure", G, 1.4, "fr", "" },
    { "bewertungsraster|bewertungskriterien", G, 1.0, "de", "" },
    { "(bewerte|benote|bewerten sie) (die|diese|jede) antwort", G, 1.0, "de", "" },
    { "welche antwort ist besser", G, 1.4, "de", "" },
    { "(оцени|оцените) (этот |следующий )?(ответ|ответы)", G, 1.0, "ru", "" },
    { "какой (из )?(ответ|ответов) лучше", G, 1.4, "ru", "" },
    { "по шкале от <num>", G, 0.6, "ru", "" },
    { "採点基準|評価基準", G, 1.0, "ja", "" },
    { "どちらの回答", G, 1.2, "ja", "" },
    { "채점 기준|평가 기준", G, 1.0, "ko", "" },
    { "어느 답변이 더", G, 1.2, "ko", "" },

    /* ---- censored / "safe" rewrites of sensitive questions ---- */
    { "politically sensitive", W, 1.2, "en", "" },
    { "sensitive (political |politically )?(topic|question|issue|subject|content|prompt|framing|wording|phrasing|aspect|part)s?", W, 0.6, "en", "" },
    { "(answered|answer it|respond) safely|without (any )?controversy|(conservative|strict) content polic(y|ies)|policy[- ]compliant", W, 0.7, "en", "" },
    { "(rewrite|rephrase|reword|revise|sanitize|sanitise|transform|paraphrase)( \\S+){0,4} (to be|so (that )?it('s| is)|into a|in a|as a|to make it) (\\S+ ){0,2}(safe|safer|harmless|neutral|appropriate|compliant|non-controversial|politically correct|inoffensive|sanitized)",
      W, 1.4, "en", "the safe-rewrite task of campaign 1" },
    { "(rewrite|rephrase|reword|revise|paraphrase)( \\S+){0,8} (safely|neutrally|without controversy|non-sensitive|policy-compliant|inoffensive)\\b", W, 1.0, "en", "" },
    { "(safe|safer|harmless|sanitized|sanitised|censored|compliant|policy-compliant|neutralized|neutralised|non-sensitive) (version|rewrite|alternative|rephrasing|phrasing|form|wording)", W, 1.0, "en", "" },
    { "(core )?socialist (core )?values", W, 1.0, "en", "" },
    { "tiananmen|june fourth|falun gong|dalai lama|xinjiang|uyghur|tibetan? independence|taiwan(ese)? independence|xi jinping|cultural revolution|hong kong protests?",
      W, 0.5, "en", "topic alone: history students and journalists ask about these" },
    { "(avoid|without|remove) (mentioning |discussing |any )?(politically )?(sensitive|controversial) (content|topics|details|issues|words|terms)", W, 1.0, "en", "" },
    { "(comply|compliant|in line|consistent) with (chinese |china's |local |government )?(regulations|censorship|content polic(y|ies)|laws|guidelines)", W, 0.7, "en", "" },
    { "政治敏感|敏感话题|敏感问题|敏感内容|敏感词|敏感信息", W, 1.2, "zh", "" },
    { "社会主义核心价值观", W, 1.0, "zh", "" },
    { "(改写|重写|改述|转述|润色|改成|修改)(成|为|得)?.{0,8}(安全|合规|中立|中性|不敏感|稳妥|正面|无害|积极)", W, 1.4, "zh", "" },
    { "(安全|合规|无害|正面)的?(版本|回答|表述|说法|改写)", W, 1.0, "zh", "" },
    { "六四|天安门|法轮功|达赖|台独|藏独|疆独|新疆|西藏|习近平|文化大革命|文革", W, 0.5, "zh", "topic alone is weak" },
    { "(符合|遵守|遵循)(中国的?)?(法律法规|监管|审查|政策|规定)", W, 0.8, "zh", "" },
    { "(避免|不要|不得)(涉及|提及|提到|出现)?(政治|敏感)", W, 1.0, "zh", "" },
    { "pol[ií]ticamente sensibles?", W, 1.2, "es", "" },
    { "(tema|pregunta|cuesti[oó]n|asunto|contenido)s? sensibles?", W, 0.6, "es", "" },
    { "(reescribe|reformula|reescribir|reformular|reescr[ií]bela|reform[uú]lala)( \\S+){0,4} (de forma|de manera|para que sea|que sea) (\\S+ ){0,2}(segura|inofensiva|neutral|apropiada|neutra|aceptable)",
      W, 1.4, "es", "" },
    { "versi[oó]n (segura|censurada|inofensiva|neutral|neutra)", W, 1.0, "es", "" },
    { "politiquement sensible", W, 1.2, "fr", "" },
    { "(réécris|reformule|réécrivez|reformulez)( \\S+){0,4} (de manière|de façon) (sûre|neutre|inoffensive)", W, 1.4, "fr", "" },
    { "politisch (sensibel|heikel|brisant)", W, 1.2, "de", "" },
    { "политически (чувствительн|остр)", W, 1.2, "ru", "" },
    { "(перепиши|перефразируй)( \\S+){0,4} (безопасн|нейтральн)", W, 1.4, "ru", "" },

    /* ---- agentic coding ---- */
    { "(write|create|implement|generate|build|code) (me )?(a|an|the|some|two|three)? ?(\\S+ ){0,3}(function|class|script|program|method|module|unit tests?|test suite|endpoint|cli tool|library|algorithm|regex|sql query)s?\\b",
      C, 0.9, "en", "asks for code" },
    { "(fix|debug|resolve|patch|troubleshoot) (the|this|a|my|these|an) (\\S+ ){0,2}(bug|error|exception|failing tests?|crash|code|segfault|stack trace|build|regression)s?",
      C, 1.0, "en", "" },
    { "refactor", C, 0.9, "en", "" },
    { "(run|re-run|rerun) the (unit )?tests?( suite)?|write and run (the )?code|(edit|modify|change) the (relevant )?files", C, 0.7, "en", "agentic coding loop" },
    { "implement (the|this) (following )?(feature|task|change|fix|issue|ticket)", C, 0.8, "en", "" },
    { "traceback|stack trace|syntaxerror|typeerror|valueerror|nullpointerexception|segmentation fault|compiler? error|undefined reference|cannot find module",
      C, 0.7, "en", "" },
    { "pull request|code review|git (diff|commit|rebase|merge|log)|unit tests?|test cases?|repository|\\brepo\\b|codebase|monorepo|linter|type hints",
      C, 0.5, "en", "" },
    { "\\b(python|javascript|typescript|java|rust|golang|c\\+\\+|c#|kotlin|swift|ruby|php|sql|bash|haskell|scala|react|django|flask|node\\.js)\\b",
      C, 0.3, "en", "a language name alone is weak" },
    { "<code>", C, 0.5, "*", "a code block is in the prompt" },
    { "(pip|npm|cargo|go|apt|apt-get|yarn|brew) (install|get|add)", C, 0.5, "en", "" },
    { "(time|space) complexity", C, 0.5, "en", "" },
    { "assert \\w+\\(|return \\w+\\(", C, 0.4, "*", "test assertions, code-reasoning items" },
    { "def \\w+\\(|function \\w+\\(|#include|public static void|console\\.log|std::|import \\w+ from|\\w+\\(\\) *\\{", C, 0.6, "*", "unfenced code" },
    { "(编写|写|实现|生成|帮我写)(一个|<num>个)?.{0,6}(函数|程序|脚本|代码|类|接口|算法|单元测试)", C, 0.9, "zh", "" },
    { "(修复|修改|调试|排查|解决).{0,6}(bug|错误|报错|异常|代码问题)", C, 1.0, "zh", "" },
    { "重构|代码审查|单元测试|代码库", C, 0.7, "zh", "" },
    { "代码", C, 0.4, "zh", "weak" },
    { "(escribe|crea|implementa|genera|programa)( \\S+){0,3} (funci[oó]n|clase|script|programa|m[eé]todo|prueba unitaria|consulta sql)", C, 0.9, "es", "" },
    { "(corrige|arregla|depura|soluciona)( \\S+){0,3} (error|bug|c[oó]digo|fallo)", C, 1.0, "es", "" },
    { "refactoriza|refactorizar", C, 0.9, "es", "" },
    { "c[oó]digo", C, 0.4, "es", "weak" },
    { "(écris|écrivez|implémente|implémentez) (une|un) (fonction|programme|script|classe)", C, 0.9, "fr", "" },
    { "corrige[rz]? (le|ce) (bug|code)", C, 1.0, "fr", "" },
    { "(schreibe|implementiere|schreiben sie) (eine|ein|einen) (funktion|programm|skript|klasse)", C, 0.9, "de", "" },
    { "(напиши|реализуй|напишите) (функцию|программу|скрипт|класс|код)", C, 0.9, "ru", "" },
    { "(исправь|исправьте) (ошибку|баг|код)", C, 1.0, "ru", "" },
    { "(関数|プログラム|スクリプト|コード)を(書いて|作成|実装)", C, 0.9, "ja", "" },
    { "(함수|프로그램|코드|스크립트)를 (작성|구현)", C, 0.9, "ko", "" },

    /* ---- tool orchestration ---- */
    { "you have access to (the following|these|a set of|several|some|multiple) (\\S+ )?(tools|functions|apis)", T, 1.6, "en", "agent system prompts" },
    { "available (tools|functions)|tools available", T, 1.0, "en", "" },
    { "(have|has) access to (the |these |a set of |several |some |multiple |following )*(\\S+ )?(tools|functions|apis)\\b", T, 1.2, "en", "" },
    { "(call|invoke|use) tools\\b|tools as needed", T, 0.8, "en", "" },
    { "search the web|web search|browse the web|with citations", T, 0.6, "en", "research agents; honest users also ask for sources" },
    { "(call|invoke|use) (the|a|this|these|one of the|any of the) (\\S+ ){0,2}(tool|tools|function|functions)\\b", T, 0.8, "en", "" },
    { "tool[_ ]calls?|function[_ ]calls?|tool[_ ]use|tool[_ ]results?|tool_choice|function_call", T, 1.0, "en", "" },
    { "(multi[- ]step|agentic|autonomous) (task|plan|workflow|agent|trajectory|trajectories)", T, 0.8, "en", "" },
    { "orchestrat|sub-?agents?|planner agent|executor agent", T, 0.6, "en", "" },
    { "\\baction: .*\\bobservation:|action input:", T, 1.2, "en", "ReAct trajectory format" },
    { "json schema", T, 0.4, "en", "" },
    { "调用(工具|函数|接口|api)|工具调用|函数调用", T, 1.0, "zh", "" },
    { "(可用|以下|下列)的?工具", T, 1.0, "zh", "" },
    { "智能体|多步骤任务", T, 0.6, "zh", "" },
    { "(tienes|tiene|tendr[aá]s) acceso a (las siguientes|estas|varias) (herramientas|funciones)", T, 1.6, "es", "" },
    { "herramientas disponibles", T, 1.0, "es", "" },
    { "(llama|invoca|usa|utiliza) (a )?(la|una|las) (herramienta|funci[oó]n)", T, 0.8, "es", "" },
    { "(tu as|vous avez) acc[eè]s aux (outils|fonctions) suivant|outils disponibles", T, 1.2, "fr", "" },
    { "(du hast|sie haben) zugriff auf (die folgenden )?(werkzeuge|tools)|verfügbare (werkzeuge|tools)", T, 1.2, "de", "" },
    { "(доступные|следующие) инструменты|вызови (инструмент|функцию)", T, 1.0, "ru", "" },
    { "ツールを(使|呼)", T, 0.8, "ja", "" },
    { "도구를 (사용|호출)", T, 0.8, "ko", "" },

    /* ---- computer use ---- */
    { "screenshots?", U, 0.5, "en", "app reviewers and designers mention screenshots too" },
    { "(click|double[- ]click|right[- ]click|tap|press) (on )?(the |at |a )?(\\S+ ){0,2}(button|link|icon|menu|tab|field|checkbox|coordinates?|position|element|pixel)s?",
      U, 1.2, "en", "" },
    { "coordinates", U, 0.5, "en", "" },
    { "click (on )?(submit|ok|next|save|login|log in|sign in|send|continue)\\b", U, 0.8, "en", "" },
    { "x ?= ?<num>,? y ?= ?<num>", U, 0.8, "en", "" },
    { "xdotool|pyautogui|selenium|playwright|puppeteer|browser_use", U, 0.8, "en", "automation tooling" },
    { "mouse|cursor|keyboard shortcut|keystrokes?", U, 0.4, "en", "weak: web developers style cursors and mouse events" },
    { "scroll (down|up)|navigate to|open (the |a )?(browser|website|web page|url)|fill (in|out) the form|type (\\S+ ){1,4}into the", U, 0.9, "en", "" },
    { "computer[- ]use|desktop|browser automation|web agent|\\bgui\\b", U, 0.6, "en", "" },
    { "on the screen|(screen|display) (shows|state)", U, 0.6, "en", "" },
    { "截图|屏幕截图|截屏", U, 1.0, "zh", "" },
    { "点击|双击|右键", U, 0.8, "zh", "" },
    { "坐标", U, 0.5, "zh", "" },
    { "浏览器|鼠标|键盘|光标|滚动|打开网页", U, 0.6, "zh", "" },
    { "captura de pantalla", U, 1.0, "es", "" },
    { "(haz|hacer|haga|hace) clic", U, 1.0, "es", "" },
    { "coordenadas", U, 0.5, "es", "" },
    { "navegador|rat[oó]n|cursor", U, 0.6, "es", "" },
    { "capture d'[ée]cran", U, 1.0, "fr", "" },
    { "clique[rz]? sur", U, 0.8, "fr", "" },
    { "bildschirmfoto|klicke auf|klicken sie auf", U, 0.9, "de", "" },
    { "скриншот|снимок экрана", U, 1.0, "ru", "" },
    { "(нажми|кликни|щелкни) на", U, 0.8, "ru", "" },
    { "スクリーンショット", U, 1.0, "ja", "" },
    { "クリック", U, 0.8, "ja", "" },
    { "스크린샷", U, 1.0, "ko", "" },
    { "클릭", U, 0.8, "ko", "" },

    /* ---- vision ---- */
    { "(this|the|attached|following|uploaded|above|my|these) (image|picture|photo|photograph|diagram|figure|screenshot|drawing|scan|illustration)s?\\b",
      V, 1.0, "en", "" },
    { "what('s| is| are) (in|shown in|depicted in|visible in) (the|this) (image|picture|photo)", V, 1.4, "en", "" },
    { "(describe|caption|analy[sz]e|read|interpret) (the|this|these) (image|picture|photo|diagram|figure|chart)s?", V, 1.4, "en", "" },
    { "\\bocr\\b|handwriting|transcribe the (text|image)", V, 0.6, "en", "" },
    { "(look at|based on|from) the (image|picture|photo)", V, 1.2, "en", "" },
    { "图片|图像|照片|这张图|图表", V, 0.8, "zh", "" },
    { "(描述|识别|分析|看看|看一下)(一下)?(这张|该|这个|下面的)?(图片|图像|照片|图)", V, 1.4, "zh", "" },
    { "图中|图里", V, 0.8, "zh", "" },
    { "(la|esta|esa|estas|las) (imagen|imágenes|foto|fotograf[ií]a|gr[aá]fica)", V, 1.0, "es", "" },
    { "describe (la|esta) (imagen|foto)", V, 1.4, "es", "" },
    { "(cette|l') ?(image|photo)", V, 0.8, "fr", "" },
    { "(dieses|das|diesem) (bild|foto)", V, 0.8, "de", "" },
    { "(изображении|картинке|на фото|этом фото)", V, 0.8, "ru", "" },
    { "画像|写真", V, 0.8, "ja", "" },
    { "이미지|사진", V, 0.8, "ko", "" },
};

#undef R
#undef G
#undef W
#undef C
#undef T
#undef U
#undef V

#define N_PATTERNS (sizeof table / sizeof table[0])

const struct hu_target_pattern *hu_targets_table(size_t *n)
{
    if (n)
        *n = N_PATTERNS;
    return table;
}

/* ---- compiled database ----------------------------------------------------- */

/* One literal of a boundary branch ("\bgui\b", "\b(python|c\+\+|...)\b")
 * or of a hand row's last word, compiled as a pure literal without
 * SINGLEMATCH (expression id N_PATTERNS + its index); the match callback
 * checks the \b at each end, or the hand row, itself. */
struct blit {
    uint16_t row;               /* the row it reports */
    uint8_t len;                /* bytes in the text (U+212A for 'k' is 3) */
    uint8_t lb, rb;             /* \b before it, after it */
    uint8_t kind;               /* BL_BOUND, or the last word of a hand row */
    uint8_t shape;              /* BL_SHAPE: index in shapes[] */
};
/* Boundary literal, or the last word of a row matched backwards by hand
 * (struct hand_row). */
enum { BL_BOUND, BL_WRITE_CODE, BL_SHAPE };
#define MAX_BLITS 128

/* A branch that needs a '(' and has one of two shapes, matched by hand
 * after a memchr for '(' (no second Hyperscan scan):
 *   PW_CALL   "<prefix>\w+\(", the prefix a literal ending in a non-word
 *             byte ("return ", "def "): the \w+ is then the whole run of
 *             word bytes before the '(';
 *   PW_BRACE  "\w+\(\) *\{". */
enum { PW_CALL, PW_BRACE };
struct pword {
    uint16_t row;
    uint8_t kind;
    uint8_t plen;
    char prefix[16];
};
#define MAX_PWORDS 16

struct hu_targets {
    hs_database_t *db;          /* every row, less the branches in db_paren */
    hs_database_t *db_paren;    /* branches that need a '(' in the text (NULL: none) */
    struct blit lits[MAX_BLITS];
    size_t n_lits;
    struct pword pw[MAX_PWORDS];
    size_t n_pw;
    uint8_t late[N_PATTERNS];   /* the row's expression ends in "\b": see on_match */
};

struct hu_targets_scratch {
    hs_scratch_t *scratch;
};

/* The compiled table is process-wide and reference-counted: compiling
 * takes 0.3-0.7 s (bench/bench_features.c), the result is immutable and
 * Hyperscan databases may be shared by any number of threads, so a second
 * hu_features_create() (a reload, a test, a second engine) reuses it.
 * Invariant: shared_db != NULL iff shared_refs > 0. */
static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hu_targets *shared_db;
static unsigned long shared_refs;

/* Does the row need HS_FLAG_CASELESS?  The scan text is lower case for
 * every ASCII letter (hu_text_normalise folds A-Z everywhere, fullwidth
 * letters to ASCII, and writes its masks in lower case), so for a row of
 * ASCII, Han, kana and Hangul the flag only adds what can never be in the
 * text -- except two non-ASCII letters that Hyperscan's UTF-8 case folding
 * adds to ASCII ones (probed over every code point to U+2FFFF): U+017F
 * LONG S for 's' (the normaliser folds it to 's') and U+212A KELVIN SIGN
 * for 'k' (the normaliser leaves it), which row_uncased() spells out.  A row
 * with any other non-ASCII code point below U+2E80 (accented Latin,
 * Cyrillic, Greek... whose capitals or variants the normaliser may not
 * fold), in U+FF00..U+FFEF (fullwidth) or above U+FFFF, or with a class
 * range ("[a-z]"), keeps the flag. */
static int row_needs_caseless(const char *re)
{
    const unsigned char *u = (const unsigned char *)re;
    int in_class = 0;
    for (size_t i = 0; u[i]; i++) {
        unsigned c = u[i];
        if (c == '\\' && u[i + 1]) {
            i++;
            continue;
        }
        if (c == '[' && !in_class) {
            in_class = 1;
            if (u[i + 1] == '^')
                return 1;
            continue;
        }
        if (c == ']' && in_class) {
            in_class = 0;
            continue;
        }
        if (c == '-' && in_class && u[i - 1] != '[' && u[i + 1] != ']')
            return 1;                              /* a range */
        if (c < 0x80)
            continue;
        unsigned cp;
        if (c >= 0xF0)
            return 1;                              /* above U+FFFF */
        if (c >= 0xE0) {
            cp = ((c & 0x0Fu) << 12) | ((u[i + 1] & 0x3Fu) << 6) | (u[i + 2] & 0x3Fu);
            i += 2;
        } else {
            cp = ((c & 0x1Fu) << 6) | (u[i + 1] & 0x3Fu);
            i += 1;
        }
        if (cp < 0x2E80 || (cp >= 0xFF00 && cp <= 0xFFEF))
            return 1;
    }
    return 0;
}

/* The row without HS_FLAG_CASELESS: each literal 'k' becomes
 * "[k\x{212A}]" (inside a class, "\x{212A}" is added); everything else is
 * copied.  Returns a hu_malloc'd string or NULL. */
static char *row_uncased(const char *re)
{
    static const char kelvin[] = "\\x{212A}";
    size_t n = strlen(re), extra = 0;
    for (size_t i = 0; i < n; i++)
        if (re[i] == 'k')
            extra += sizeof kelvin + 2;
    char *o = hu_malloc(n + extra + 1);
    if (o == NULL)
        return NULL;
    size_t k = 0;
    int in_class = 0;
    for (size_t i = 0; i < n; i++) {
        char c = re[i];
        if (c == '\\' && i + 1 < n) {
            o[k++] = c;
            o[k++] = re[++i];
            continue;
        }
        if (c == '[' && !in_class)
            in_class = 1;
        else if (c == ']' && in_class)
            in_class = 0;
        if (c == 'k') {
            if (!in_class)
                o[k++] = '[';
            o[k++] = 'k';
            memcpy(o + k, kelvin, sizeof kelvin - 1);
            k += sizeof kelvin - 1;
            if (!in_class)
                o[k++] = ']';
            continue;
        }
        o[k++] = c;
    }
    o[k] = 0;
    return o;
}

/* The top-level branches of re that contain an unquantified "\(" outside
 * any group or class: a text without the byte '(' cannot match them.
 * Writes the row less those branches into *rest (NULL when every branch
 * needs '(') and those branches into *paren (NULL when none), both
 * hu_malloc'd and joined by '|'.  HU_OK or HU_ENOMEM. */
static int split_paren(const char *re, char **rest, char **paren)
{
    size_t n = strlen(re), starts[64], ends[64], nb = 0;
    int needs[64];
    int depth = 0, in_class = 0, need = 0;
    size_t b = 0;
    *rest = *paren = NULL;
    for (size_t i = 0; i <= n; i++) {
        char c = re[i];
        if (i == n || (c == '|' && depth == 0 && !in_class)) {
            if (nb == 64)
                return HU_OK;                       /* too many branches: no split */
            starts[nb] = b, ends[nb] = i, needs[nb++] = need;
            b = i + 1, need = 0;
            continue;
        }
        if (c == '\\' && i + 1 < n) {
            char q = re[i + 2 < n + 1 ? i + 2 : n];
            if (re[i + 1] == '(' && depth == 0 && !in_class && q != '?' && q != '*' && q != '+' && q != '{')
                need = 1;
            i++;
        } else if (in_class) {
            in_class = c != ']';
        } else if (c == '[') {
            in_class = 1;
        } else if (c == '(') {
            depth++;
        } else if (c == ')') {
            depth--;
        }
    }
    size_t np = 0;
    for (size_t k = 0; k < nb; k++)
        np += (size_t)needs[k];
    if (np == 0)
        return HU_OK;
    char *r = np < nb ? hu_malloc(n + 1) : NULL, *p = hu_malloc(n + 1);
    if (p == NULL || (np < nb && r == NULL)) {
        hu_free(r);
        hu_free(p);
        return HU_ENOMEM;
    }
    size_t kr = 0, kp = 0;
    for (size_t k = 0; k < nb; k++) {
        char *o = needs[k] ? p : r;
        size_t *ko = needs[k] ? &kp : &kr;
        if (*ko)
            o[(*ko)++] = '|';
        memcpy(o + *ko, re + starts[k], ends[k] - starts[k]);
        *ko += ends[k] - starts[k];
    }
    if (r)
        r[kr] = 0;
    p[kp] = 0;
    *rest = r;
    *paren = p;
    return HU_OK;
}

static void free_exprs(char **owned, size_t n)
{
    for (size_t i = 0; i < n; i++)
        hu_free(owned[i]);
}

/* Hyperscan's \b without HS_FLAG_UCP: a word byte is [0-9A-Za-z_]; any
 * byte of a multi-byte code point (U+212A KELVIN SIGN included, probed)
 * and the outside of the text are not. */
static int is_word(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z') || c == '_';
}

/* Is re[s..e) a boundary branch: "\b" body, body "\b" or "\b" body "\b",
 * where body is a literal or a group "(lit|lit|...)" of literals (ASCII
 * without metacharacters, punctuation may be escaped)?  Sets *lb, *rb
 * and the body's bounds, parentheses excluded. */
static int blit_branch(const char *re, size_t s, size_t e, int *lb, int *rb, size_t *bs, size_t *be)
{
    *lb = *rb = 0;
    if (e - s >= 2 && re[s] == '\\' && re[s + 1] == 'b') {
        *lb = 1;
        s += 2;
    }
    if (e - s >= 3 && re[e - 2] == '\\' && re[e - 1] == 'b') {
        if (re[e - 3] == '\\')
            return 0;
        *rb = 1;
        e -= 2;
    }
    if ((!*lb && !*rb) || s >= e)
        return 0;
    int grp = re[s] == '(';
    if (grp) {
        if (e - s < 3 || re[e - 1] != ')')
            return 0;
        s++, e--;
    }
    size_t run = 0;                                 /* bytes of the current literal */
    for (size_t i = s; i < e; i++) {
        unsigned char c = (unsigned char)re[i];
        if (c == '\\') {
            unsigned char d = i + 1 < e ? (unsigned char)re[i + 1] : 0;
            if (d == 0 || is_word(d) || d >= 0x80)
                return 0;                           /* \w, \b, \x..: not a literal */
            i++, run++;
            continue;
        }
        if (c == '|') {
            if (!grp || run == 0)
                return 0;
            run = 0;
            continue;
        }
        if (c < 0x20 || c >= 0x80 || strchr("()[]{}?*+.^$", c) != NULL)
            return 0;
        run++;
    }
    if (run == 0)
        return 0;
    *bs = s, *be = e;
    return 1;
}

/* Split the boundary branches off row `row` (a row without
 * HS_FLAG_CASELESS: re is the table's own text): their literals go to
 * t->lits and, as expressions, to lex[] (hu_malloc'd, also listed in
 * owned[]); *rest is the row less those branches (re itself when it has
 * none, NULL when it has nothing else, else hu_malloc'd and in owned[]).
 * Each 'k' is written both as 'k' and as U+212A (what row_uncased does
 * with a class), one literal per combination.  HU_OK or HU_ENOMEM; a row
 * whose literals would not fit is left whole. */
static int split_blits(size_t row, const char *re, const char **rest, struct hu_targets *t,
                       const char **lex, size_t *nl, char **owned, size_t *no)
{
    size_t n = strlen(re), starts[64], ends[64], nb = 0, b = 0;
    int depth = 0, in_class = 0, is_blit[64], any = 0;
    size_t lits_before = t->n_lits, nl_before = *nl, no_before = *no;
    *rest = re;
    for (size_t i = 0; i <= n; i++) {
        char c = re[i];
        if (i == n || (c == '|' && depth == 0 && !in_class)) {
            if (nb == 64)
                return HU_OK;
            starts[nb] = b, ends[nb++] = i, b = i + 1;
            continue;
        }
        if (c == '\\' && i + 1 < n)
            i++;
        else if (in_class)
            in_class = c != ']';
        else if (c == '[')
            in_class = 1;
        else if (c == '(')
            depth++;
        else if (c == ')')
            depth--;
    }
    for (size_t k = 0; k < nb; k++) {
        int lb, rb;
        size_t bs, be;
        is_blit[k] = blit_branch(re, starts[k], ends[k], &lb, &rb, &bs, &be);
        if (!is_blit[k])
            continue;
        any = 1;
        /* each literal of the body, unescaped, in every 'k' spelling */
        for (size_t i = bs; i <= be; i++) {
            char lit[64];
            size_t ll = 0, nk = 0;
            while (i < be && re[i] != '|') {
                if (re[i] == '\\')
                    i++;
                if (ll == sizeof lit)
                    goto undo;
                nk += re[i] == 'k';
                lit[ll++] = re[i++];
            }
            if (nk > 3)
                goto undo;
            for (unsigned v = 0; v < (1u << nk); v++) {
                if (t->n_lits == MAX_BLITS)
                    goto undo;
                char *x = hu_malloc(ll * 8 + 1);
                if (x == NULL)
                    goto nomem;
                owned[(*no)++] = x;
                size_t xl = 0, bytes = 0;
                unsigned kbit = 0;
                for (size_t j = 0; j < ll; j++) {
                    if (lit[j] == 'k' && (v >> kbit++ & 1)) {
                        memcpy(x + xl, "\\x{212A}", 8);
                        xl += 8, bytes += 3;
                    } else {
                        static const char hex[] = "0123456789abcdef";
                        unsigned char c = (unsigned char)lit[j];
                        x[xl++] = '\\', x[xl++] = 'x', x[xl++] = hex[c >> 4], x[xl++] = hex[c & 15];
                        bytes++;
                    }
                }
                x[xl] = 0;
                lex[(*nl)++] = x;
                t->lits[t->n_lits++] = (struct blit){ (uint16_t)row, (uint8_t)bytes, (uint8_t)lb, (uint8_t)rb, BL_BOUND, 0 };
            }
        }
    }
    if (!any)
        return HU_OK;
    size_t nrest = 0;
    for (size_t k = 0; k < nb; k++)
        nrest += !is_blit[k];
    if (nrest == 0) {
        *rest = NULL;
        return HU_OK;
    }
    char *r = hu_malloc(n + 1);
    if (r == NULL)
        goto nomem;
    owned[(*no)++] = r;
    size_t kr = 0;
    for (size_t k = 0; k < nb; k++) {
        if (is_blit[k])
            continue;
        if (kr)
            r[kr++] = '|';
        memcpy(r + kr, re + starts[k], ends[k] - starts[k]);
        kr += ends[k] - starts[k];
    }
    r[kr] = 0;
    *rest = r;
    return HU_OK;
undo:                                               /* too many: the row stays whole */
    while (*no > no_before)
        hu_free(owned[--(*no)]);
    t->n_lits = lits_before, *nl = nl_before, *rest = re;
    return HU_OK;
nomem:
    while (*no > no_before)
        hu_free(owned[--(*no)]);
    t->n_lits = lits_before, *nl = nl_before;
    return HU_ENOMEM;
}

/* paren[] is the '|'-joined branches of row `row` that need a '(' (from
 * split_paren, a row without HS_FLAG_CASELESS).  If every branch has a
 * shape of struct pword, add them to t->pw and return 1 (the row needs
 * no paren database); else add nothing and return 0. */
static int split_pwords(size_t row, const char *paren, struct hu_targets *t)
{
    static const char call[] = "\\w+\\(", brace[] = "\\w+\\(\\) *\\{";
    size_t n0 = t->n_pw;
    for (const char *b = paren; *b;) {
        const char *e = strchr(b, '|');
        size_t bl = e ? (size_t)(e - b) : strlen(b), cl = sizeof call - 1;
        struct pword w = { (uint16_t)row, PW_BRACE, 0, { 0 } };
        if (t->n_pw == MAX_PWORDS)
            goto no;
        if (!(bl == sizeof brace - 1 && memcmp(b, brace, bl) == 0)) {
            /* "<prefix>\w+\(": a literal prefix of lower-case letters,
             * digits and spaces (no 'k': row_uncased would have spelt it
             * [k\x{212A}]) ending in a space */
            if (bl <= cl || bl - cl > sizeof w.prefix || memcmp(b + bl - cl, call, cl) != 0 || b[bl - cl - 1] != ' ')
                goto no;
            for (size_t i = 0; i < bl - cl; i++)
                if (!((b[i] >= 'a' && b[i] <= 'z' && b[i] != 'k') || (b[i] >= '0' && b[i] <= '9') || b[i] == ' '))
                    goto no;
            w.kind = PW_CALL;
            w.plen = (uint8_t)(bl - cl);
            memcpy(w.prefix, b, bl - cl);
        }
        t->pw[t->n_pw++] = w;
        b += bl + (e != NULL);
    }
    return 1;
no:
    t->n_pw = n0;
    return 0;
}

/* \s without HS_FLAG_UCP (probed): space, \t \n \v \f \r. */
static int is_space(unsigned char c)
{
    return c == ' ' || (c >= 9 && c <= 13);
}

struct lit {
    const char *s;
    size_t n;
};
#define LIT(x) { x, sizeof x - 1 }

/* (a loop, not memcmp: the literals are short and most fail on their
 * last byte) */
static int ends_with(const unsigned char *x, size_t h, const struct lit *l)
{
    if (h < l->n)
        return 0;
    for (size_t i = 1; i <= l->n; i++)
        if (x[h - i] != (unsigned char)l->s[l->n - i])
            return 0;
    return 1;
}

/* Does x[0..h) end with one of lits[0..n) followed by nothing? */
static int ends_with_any(const unsigned char *x, size_t h, const struct lit *lits, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ends_with(x, h, &lits[i]))
            return 1;
    return 0;
}

static const struct lit wc_verbs[] = {
    LIT("write"), LIT("create"), LIT("implement"), LIT("generate"), LIT("build"), LIT("code"),
};
static const struct lit wc_dets[] = { LIT("a"), LIT("an"), LIT("the"), LIT("some"), LIT("two"), LIT("three") };
static const struct lit me_sp = LIT("me ");
#define N_WC_VERBS (sizeof wc_verbs / sizeof wc_verbs[0])
#define N_WC_DETS (sizeof wc_dets / sizeof wc_dets[0])

/* x[0..h) ends with "(write|...|code) " */
static int wc_verb_sp(const unsigned char *x, size_t h)
{
    if (h < 5 || x[h - 1] != ' ')
        return 0;
    unsigned char c = x[h - 2];                     /* write, create, generate, code; implement; build */
    if (c != 'e' && c != 't' && c != 'd')
        return 0;
    return ends_with_any(x, h - 1, wc_verbs, N_WC_VERBS);
}

/* x[0..h) ends with "(write|...|code) (me )?(a|an|the|some|two|three)? ?" */
static int wc_head(const unsigned char *x, size_t h)
{
    if (h == 0)
        return 0;
    unsigned char c = x[h - 1];
    if (c != ' ' && c != 'a' && c != 'n' && c != 'e' && c != 'o')
        return 0;                                   /* neither a space nor a determiner's end */
    for (int sp = 0; sp < 2; sp++) {                /* " ?" absent, present */
        if (sp && x[h - 1] != ' ')
            break;
        size_t h1 = h - (size_t)sp;
        for (int d = -1; d < (int)N_WC_DETS; d++) { /* no determiner, or wc_dets[d] */
            if (d >= 0 && !ends_with(x, h1, &wc_dets[d]))
                continue;
            size_t h2 = h1 - (d < 0 ? 0 : wc_dets[d].n);
            if (wc_verb_sp(x, h2) || (ends_with(x, h2, &me_sp) && wc_verb_sp(x, h2 - 3)))
                return 1;
        }
    }
    return 0;
}

/* The start of the run of \S bytes that ends at x[h - 2], when x[0..h)
 * ends with "\S+ ", else SIZE_MAX. */
static size_t chunk_start(const unsigned char *x, size_t h)
{
    if (h < 2 || x[h - 1] != ' ' || is_space(x[h - 2]))
        return SIZE_MAX;
    size_t rs = h - 2;
    while (rs > 0 && !is_space(x[rs - 1]))
        rs--;
    return rs;
}

/* Does x[0..p) end with "(write|...) (me )?(a|...)? ?(\S+ ){0,3}"?  A
 * chunk "\S+ " is taken from the start of its run: a chunk that starts
 * after a determiner at the start of its run ("write thefoo function")
 * is matched as well by the whole run as a chunk, with as many chunks.
 * Walks back at most three runs. */
static int wc_left(const unsigned char *x, size_t p)
{
    size_t h = p;
    for (int k = 0;; k++) {
        if (wc_head(x, h))
            return 1;
        if (k == 3)
            return 0;
        h = chunk_start(x, h);
        if (h == SIZE_MAX)
            return 0;
    }
}

/* Rows "V (O)?D (\S+ ){0,n}W", V, D and W alternations of literals, O an
 * optional literal ending in a space, followed by "\b" or nothing: x[0..h)
 * ends with "V (O)?D "? */
struct shape {
    const struct lit *verbs;
    size_t nv;
    const struct lit *opts;     /* may be NULL */
    size_t nopt;
    const struct lit *dets;
    size_t nd;
    int chunks;                 /* n */
    int bound;                  /* "\b" after W (W ends in a word byte) */
};
#define LITS(a) a, sizeof a / sizeof a[0]

static int shape_head(const struct shape *sh, const unsigned char *x, size_t h)
{
    if (h < 2 || x[h - 1] != ' ')
        return 0;
    for (size_t d = 0; d < sh->nd; d++) {
        if (!ends_with(x, h - 1, &sh->dets[d]))
            continue;
        size_t g = h - 1 - sh->dets[d].n;
        for (size_t o = 0; o <= sh->nopt; o++) {    /* O absent, or opts[o - 1] */
            if (o > 0 && !ends_with(x, g, &sh->opts[o - 1]))
                continue;
            size_t g1 = g - (o > 0 ? sh->opts[o - 1].n : 0);
            if (g1 > 0 && x[g1 - 1] == ' ' && ends_with_any(x, g1 - 1, sh->verbs, sh->nv))
                return 1;
        }
    }
    return 0;
}

/* Does x[0..p) end with "V (O)?D (\S+ ){0,n}"?  Every chunk starts after
 * a space (D is followed by one).  Walks back at most n runs. */
static int shape_left(const struct shape *sh, const unsigned char *x, size_t p)
{
    size_t h = p;
    for (int k = 0;; k++) {
        if (shape_head(sh, x, h))
            return 1;
        if (k == sh->chunks)
            return 0;
        h = chunk_start(x, h);
        if (h == SIZE_MAX)
            return 0;
    }
}

/* 'k' is also spelt U+212A, as row_uncased does */
static const struct lit ct_verbs[] = { LIT("call"), LIT("invoke"), LIT("invo\xe2\x84\xaa" "e"), LIT("use") };
static const struct lit ct_dets[] = {
    LIT("the"), LIT("a"), LIT("this"), LIT("these"), LIT("one of the"), LIT("any of the"),
};
static const struct lit sr_verbs[] = {
    LIT("show"), LIT("write down"), LIT("write out"), LIT("include"), LIT("give"), LIT("present"),
};
static const struct lit sr_opts[] = { LIT("all "), LIT("all of ") };
static const struct lit sr_dets[] = { LIT("your"), LIT("the") };
static const struct lit st_verbs[] = {
    LIT("show"), LIT("reveal"), LIT("write out"), LIT("output"), LIT("display"), LIT("give me"), LIT("print"),
    LIT("include"), LIT("expose"),
};
static const struct lit st_opts[] = { LIT("me ") };
static const struct lit st_dets[] = {
    LIT("your"), LIT("the"), LIT("all"), LIT("full"), LIT("complete"), LIT("entire"), LIT("detailed"),
};
static const struct shape shapes[] = {
    { LITS(ct_verbs), NULL, 0, LITS(ct_dets), 2, 1 },
    { LITS(sr_verbs), LITS(sr_opts), LITS(sr_dets), 1, 1 },
    { LITS(st_verbs), LITS(st_opts), LITS(st_dets), 2, 0 },
};

/* Rows whose first words are common ("write", "code", "use", "show")
 * and go on with "(\S+ ){0,n}": Hyperscan ran an engine from
 * every occurrence of the first word.  They are matched from their LAST
 * word instead: its literals are pure literals in the main database
 * (every occurrence reported), and the callback checks what may follow
 * it ("s?\b", "\b" or nothing) and the rest backwards from the literal's
 * start (wc_left, shape_left).  The rows are recognised by their exact
 * text: a row edited in the table falls back to Hyperscan. */
struct hand_row {
    const char *re;
    uint8_t kind, shape;
    const char *const *last;    /* the last word's literals, 'k' in both spellings */
};
static const char *const wc_last[] = {
    "function", "class", "script", "program", "method", "module", "unit test", "unit tests", "test suite",
    "endpoint", "cli tool", "library", "algorithm", "regex", "sql query", NULL
};
static const char *const ct_last[] = { "tool", "tools", "function", "functions", NULL };
static const char *const sr_last[] = {
    "reasoning", "chain of thought", "chain-of-thought", "chain of-thought", "chain-of thought", "thought process", NULL
};
static const char *const st_last[] = {
    "chain of thought", "chain-of-thought", "chain of-thought", "chain-of thought", "reasoning trace",
    "reasoning steps", "reasoning process", "thought process", "inner monologue", "scratchpad",
    "thinking process", "thin\xe2\x84\xaaing process", NULL
};
static const struct hand_row hand_rows[] = {
    { "(write|create|implement|generate|build|code) (me )?(a|an|the|some|two|three)? ?(\\S+ ){0,3}(function|class|script|program|method|module|unit tests?|test suite|endpoint|cli tool|library|algorithm|regex|sql query)s?\\b",
      BL_WRITE_CODE, 0, wc_last },
    { "(call|invoke|use) (the|a|this|these|one of the|any of the) (\\S+ ){0,2}(tool|tools|function|functions)\\b",
      BL_SHAPE, 0, ct_last },
    { "(show|write down|write out|include|give|present) (all (of )?)?(your|the) (\\S+ )?(reasoning|chain[- ]of[- ]thought|thought process)\\b",
      BL_SHAPE, 1, sr_last },
    { "(show|reveal|write out|output|display|give me|print|include|expose) (me )?(your|the|all|full|complete|entire|detailed) (\\S+ ){0,2}(chain[- ]of[- ]thought|reasoning (trace|steps|process)|thought process|inner monologue|scratchpad|thinking process)",
      BL_SHAPE, 2, st_last },
};

/* Row i as a hand row: its last words go to t->lits and lex[] (pure
 * literals: checked), 1; or 0 (not a hand row, or no room). */
static int split_hand(size_t row, const char *re, struct hu_targets *t, const char **lex, size_t *nl)
{
    for (size_t h = 0; h < sizeof hand_rows / sizeof hand_rows[0]; h++) {
        const struct hand_row *hr = &hand_rows[h];
        if (strcmp(re, hr->re) != 0)
            continue;
        size_t n = 0;
        while (hr->last[n])
            n++;
        if (t->n_lits + n > MAX_BLITS)
            return 0;
        for (size_t k = 0; k < n; k++) {
            hu_assert(strpbrk(hr->last[k], "()[]{}?*+.^$|\\") == NULL && strlen(hr->last[k]) < 32);
            lex[(*nl)++] = hr->last[k];
            t->lits[t->n_lits++] = (struct blit){ (uint16_t)row, (uint8_t)strlen(hr->last[k]), 0, 1, hr->kind,
                                                  hr->shape };
        }
        return 1;
    }
    return 0;
}

/* Compile exprs[0..n) into *db.  HU_OK, HU_ENOMEM or HU_EINTERNAL. */
static int compile_exprs(const char *const *exprs, const unsigned *flags, const unsigned *ids, size_t n,
                         hs_database_t **db, char *errbuf, size_t errcap)
{
    hs_compile_error_t *cerr = NULL;
    if (hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, db, &cerr) == HS_SUCCESS)
        return HU_OK;
    /* an allocation failure inside the compiler reports as an error
     * without a pattern index, or (through our allocator hook) as
     * "Unable to allocate memory." on row 0 (found by make torture) */
    int nomem = cerr != NULL && cerr->message != NULL && strstr(cerr->message, "allocate memory");
    int bad_row = cerr != NULL && cerr->expression >= 0 && !nomem;
    if (errbuf && errcap)
        snprintf(errbuf, errcap, "target pattern %d does not compile: %s",
                 cerr && cerr->expression >= 0 ? (int)ids[cerr->expression] : -1, cerr ? cerr->message : "?");
    hs_free_compile_error(cerr);
    *db = NULL;
    return bad_row ? HU_EINTERNAL : HU_ENOMEM;
}

/* Compile every row whose skip[] entry is 0 (skip == NULL: every row;
 * bench/bench_scan.c leaves rows out to measure what each costs). */
static int compile_rows(struct hu_targets **out, const unsigned char *skip, char *errbuf, size_t errcap)
{
    /* main: one expression per row (or none, when all its branches need
     * '(' or are boundary literals) and one per boundary literal; paren:
     * one per row with branches that need '(' */
    const char *exprs[N_PATTERNS + MAX_BLITS], *pexprs[N_PATTERNS], *lex[MAX_BLITS];
    char *owned[4 * N_PATTERNS + MAX_BLITS];
    unsigned flags[N_PATTERNS + MAX_BLITS], ids[N_PATTERNS + MAX_BLITS], pflags[N_PATTERNS], pids[N_PATTERNS];
    size_t ne = 0, np = 0, no = 0, nl = 0;
    struct hu_targets *t = NULL;
    int rc = HU_OK;

    /* Hyperscan's databases and scratch come from our hooks too, so that
     * failure injection reaches them (process-wide, idempotent). */
    (void)hs_set_allocator(hu_malloc, hu_free);
    t = hu_calloc(1, sizeof *t);
    if (t == NULL)
        return HU_ENOMEM;
    for (size_t i = 0; i < N_PATTERNS; i++) {
        const char *re = table[i].re;
        if (skip != NULL && skip[i])
            continue;
        unsigned fl = HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH;
        if (!row_needs_caseless(re)) {
            if (split_hand(i, re, t, lex, &nl))
                continue;
            if (split_blits(i, re, &re, t, lex, &nl, owned, &no) != HU_OK) {
                rc = HU_ENOMEM;
                goto done;
            }
            if (re == NULL)
                continue;                           /* boundary literals only */
            char *u = row_uncased(re);
            if (u == NULL) {
                rc = HU_ENOMEM;
                goto done;
            }
            owned[no++] = u;
            re = u;
            fl = HS_FLAG_UTF8 | HS_FLAG_SINGLEMATCH;
        }
        char *rest = NULL, *paren = NULL;
        if (split_paren(re, &rest, &paren) != HU_OK) {
            rc = HU_ENOMEM;
            goto done;
        }
        if (paren != NULL) {
            owned[no++] = paren;
            if (fl & HS_FLAG_CASELESS || !split_pwords(i, paren, t))
                pexprs[np] = paren, pflags[np] = fl, pids[np++] = (unsigned)i;
            if (rest == NULL)
                continue;
            owned[no++] = rest;
            re = rest;
        }
        size_t rl = strlen(re);
        t->late[i] = rl >= 2 && re[rl - 2] == '\\' && re[rl - 1] == 'b';
        exprs[ne] = re, flags[ne] = fl, ids[ne++] = (unsigned)i;
    }
    /* every occurrence of a boundary literal is reported (no SINGLEMATCH):
     * the first may fail its \b check */
    for (size_t j = 0; j < nl; j++)
        exprs[ne] = lex[j], flags[ne] = HS_FLAG_UTF8, ids[ne++] = (unsigned)(N_PATTERNS + j);
    if (ne > 0)
        rc = compile_exprs(exprs, flags, ids, ne, &t->db, errbuf, errcap);
    if (rc == HU_OK && np > 0)
        rc = compile_exprs(pexprs, pflags, pids, np, &t->db_paren, errbuf, errcap);
done:
    if (rc != HU_OK) {
        hs_free_database(t->db);
        hu_free(t);
        t = NULL;
    }
    *out = t;
    free_exprs(owned, no);
    return rc;
}

int hu_targets_create(struct hu_targets **out, char *errbuf, size_t errcap)
{
    int rc = HU_OK;
    if (out == NULL)
        return HU_EINVAL;
    *out = NULL;
    pthread_mutex_lock(&shared_lock);
    if (shared_db == NULL)
        rc = compile_rows(&shared_db, NULL, errbuf, errcap);
    if (rc == HU_OK) {
        shared_refs++;
        *out = shared_db;
    }
    pthread_mutex_unlock(&shared_lock);
    return rc;
}

void hu_targets_destroy(struct hu_targets *t)
{
    if (t == NULL)
        return;
    pthread_mutex_lock(&shared_lock);
    hu_assert(t == shared_db && shared_refs > 0);
    if (--shared_refs == 0) {
        hs_free_database(shared_db->db);
        hs_free_database(shared_db->db_paren);
        hu_free(shared_db);
        shared_db = NULL;
    }
    pthread_mutex_unlock(&shared_lock);
}

int hu_targets_scratch_create(const struct hu_targets *t, struct hu_targets_scratch **out)
{
    if (t == NULL || out == NULL)
        return HU_EINVAL;
    *out = NULL;
    struct hu_targets_scratch *s = hu_calloc(1, sizeof *s);
    if (s == NULL)
        return HU_ENOMEM;
    /* one scratch fits both databases */
    if ((t->db != NULL && hs_alloc_scratch(t->db, &s->scratch) != HS_SUCCESS) ||
        (t->db_paren != NULL && hs_alloc_scratch(t->db_paren, &s->scratch) != HS_SUCCESS)) {
        hs_free_scratch(s->scratch);
        hu_free(s);
        return HU_ENOMEM;
    }
    *out = s;
    return HU_OK;
}

void hu_targets_scratch_destroy(struct hu_targets_scratch *s)
{
    if (s == NULL)
        return;
    hs_free_scratch(s->scratch);
    hu_free(s);
}

/* Reports of one hs_scan: (end offset, row) in report order, the first
 * of each row only (a row's branches may be several expressions: its
 * boundary literals and the rest).  Hyperscan reports in end-offset
 * order; SINGLEMATCH and `seen` bound them to N_PATTERNS per database. */
struct scan_ctx {
    uint64_t to[N_PATTERNS];
    uint32_t id[N_PATTERNS];
    uint8_t late[N_PATTERNS];
    size_t n;
    uint64_t seen[(N_PATTERNS + 63) / 64];
    const struct hu_targets *t;
    const unsigned char *text;
    size_t len;
};

/* Does a report (flags a: bit 0 ends in "\b", bit 1 from a literal's
 * callback; row ia) go before report (b, ib) that ends at the same
 * offset?  Two of Hyperscan's own: never (their order stays). */
static int goes_before(unsigned a, uint32_t ia, unsigned b, uint32_t ib)
{
    if (!((a | b) & 2))
        return 0;
    return (a & 1) < (b & 1) || ((a & 1) == (b & 1) && ia < ib);
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl,
                    void *ctx)
{
    struct scan_ctx *c = ctx;
    unsigned late = 0, hand = id >= N_PATTERNS;
    (void)from, (void)fl;
    if (id < N_PATTERNS)
        late = c->t->late[id];
    if (id >= N_PATTERNS) {
        /* a boundary literal or a hand row's last word ends at `to`:
         * check its \b as Hyperscan's regex would (outside the text is
         * not a word byte), or the hand row around it */
        size_t j = id - N_PATTERNS;
        if (j >= c->t->n_lits || to < c->t->lits[j].len || to > c->len)
            return 0;
        const struct blit *b = &c->t->lits[j];
        const unsigned char *x = c->text;
        size_t e = (size_t)to, s = e - b->len;
        id = b->row;
        late = b->kind == BL_WRITE_CODE || (b->kind == BL_SHAPE && shapes[b->shape].bound) ||
               (b->kind == BL_BOUND && b->rb);
        if (id >= N_PATTERNS || (c->seen[id >> 6] >> (id & 63) & 1))
            return 0;
        if (b->kind == BL_WRITE_CODE) {
            /* the last word ends in a letter: "s?\\b" ends the match at e
             * or, after an 's', at e + 1 */
            if (e < c->len && is_word(x[e])) {
                if (x[e] != 's' || (e + 1 < c->len && is_word(x[e + 1])))
                    return 0;
                to = e + 1;
            }
            if (!wc_left(x, s))
                return 0;
        } else if (b->kind == BL_SHAPE) {
            const struct shape *sh = &shapes[b->shape];
            if ((sh->bound && e < c->len && is_word(x[e])) || !shape_left(sh, x, s))
                return 0;
        } else {
            if (b->lb && is_word(s > 0 ? x[s - 1] : 0) == is_word(x[s]))
                return 0;
            if (b->rb && is_word(x[e - 1]) == is_word(e < c->len ? x[e] : 0))
                return 0;
        }
    }
    if (id >= N_PATTERNS || (c->seen[id >> 6] >> (id & 63) & 1) || c->n >= N_PATTERNS)
        return 0;
    c->seen[id >> 6] |= UINT64_C(1) << (id & 63);
    /* In end order (a hand row may end one byte after its report).  Rows
     * that end together: Hyperscan's own reports keep their order; a
     * report of a boundary literal or a last word (flag 2) takes the place
     * the reference gave that row (rows as expression ids, row number
     * order as far as the test has seen, a match that ends in "\b" --
     * checked by Hyperscan on the next byte -- after the others). */
    late |= hand << 1;
    size_t k = c->n++;
    while (k > 0 && (c->to[k - 1] > to || (c->to[k - 1] == to && goes_before(late, id, c->late[k - 1], c->id[k - 1])))) {
        c->to[k] = c->to[k - 1];
        c->id[k] = c->id[k - 1];
        c->late[k] = c->late[k - 1];
        k--;
    }
    c->to[k] = to;
    c->id[k] = id;
    c->late[k] = (uint8_t)late;  /* bit 0: ends in "\b", bit 1: hand report */
    return 0;
}

static void add_hit(uint32_t id, float sum[HU_TARGET_COUNT], uint32_t *hits, size_t hits_cap, size_t *n)
{
    sum[table[id].target] += table[id].weight;
    if (hits && *n < hits_cap)
        hits[*n] = id;
    (*n)++;
}

/* The struct pword branches over s[0..len): for each of their rows, the
 * first end of a match (what SINGLEMATCH reports), appended to p in
 * end-offset order.  One memchr walk over the '(' bytes; the word run
 * before each '(' is walked once (runs end at a '('), so O(len). */
static void scan_pwords(const struct hu_targets *t, const unsigned char *s, size_t len, struct scan_ctx *p)
{
    size_t best[MAX_PWORDS], left = t->n_pw;
    for (size_t w = 0; w < t->n_pw; w++)
        best[w] = SIZE_MAX;
    for (const unsigned char *q = memchr(s, '(', len); q != NULL && left > 0;
         q = memchr(q + 1, '(', len - (size_t)(q + 1 - s))) {
        size_t i = (size_t)(q - s), j = i;
        while (j > 0 && is_word(s[j - 1]))
            j--;
        if (j == i)
            continue;                               /* both shapes need \w+ before '(' */
        for (size_t w = 0; w < t->n_pw; w++) {
            const struct pword *pw = &t->pw[w];
            if (best[w] != SIZE_MAX)
                continue;
            if (pw->kind == PW_CALL) {
                if (j >= pw->plen && memcmp(s + j - pw->plen, pw->prefix, pw->plen) == 0)
                    best[w] = i + 1, left--;
            } else if (i + 1 < len && s[i + 1] == ')') {
                size_t k = i + 2;
                while (k < len && s[k] == ' ')
                    k++;
                if (k < len && s[k] == '{')
                    best[w] = k + 1, left--;
            }
        }
    }
    /* per row, its first end; rows in end order (insertion, a few rows) */
    for (size_t w = 0; w < t->n_pw; w++) {
        if (best[w] == SIZE_MAX)
            continue;
        uint32_t row = t->pw[w].row;
        size_t k = 0;
        while (k < p->n && p->id[k] != row)
            k++;
        if (k < p->n) {
            if (p->to[k] <= best[w])
                continue;
            memmove(p->to + k, p->to + k + 1, (p->n - k - 1) * sizeof p->to[0]);
            memmove(p->id + k, p->id + k + 1, (p->n - k - 1) * sizeof p->id[0]);
            p->n--;
        }
        k = p->n;
        while (k > 0 && p->to[k - 1] > best[w]) {
            p->to[k] = p->to[k - 1];
            p->id[k] = p->id[k - 1];
            k--;
        }
        p->to[k] = best[w];
        p->id[k] = row;
        p->n++;
    }
}

size_t hu_targets_scan(const struct hu_targets *t, struct hu_targets_scratch *s,
                       const char *scan, size_t len, float sum[HU_TARGET_COUNT],
                       uint32_t *hits, size_t hits_cap)
{
    struct scan_ctx m, p;
    size_t n = 0;
    if (t == NULL || s == NULL || scan == NULL || len == 0)
        return 0;
    if (len > UINT32_MAX)
        len = UINT32_MAX;
    m.n = p.n = 0;
    memset(m.seen, 0, sizeof m.seen);
    memset(p.seen, 0, sizeof p.seen);
    m.t = p.t = t;
    m.text = p.text = (const unsigned char *)scan;
    m.len = p.len = len;
    if (t->db != NULL)
        (void)hs_scan(t->db, scan, (unsigned)len, 0, s->scratch, on_match, &m);
    if (t->db_paren != NULL && memchr(scan, '(', len) != NULL)
        (void)hs_scan(t->db_paren, scan, (unsigned)len, 0, s->scratch, on_match, &p);
    if (t->n_pw > 0)
        scan_pwords(t, (const unsigned char *)scan, len, &p);
    if (p.n == 0) {
        for (size_t i = 0; i < m.n; i++)
            add_hit(m.id[i], sum, hits, hits_cap, &n);
        return n;
    }
    /* A row split over both databases counts once, at its first end.
     * Then merge by end offset, main reports first on a tie. */
    for (size_t j = 0; j < p.n; j++) {
        for (size_t i = 0; i < m.n; i++) {
            if (m.id[i] != p.id[j])
                continue;
            if (m.to[i] <= p.to[j]) {
                p.id[j] = UINT32_MAX;               /* drop the later report */
            } else {
                memmove(m.to + i, m.to + i + 1, (m.n - i - 1) * sizeof m.to[0]);
                memmove(m.id + i, m.id + i + 1, (m.n - i - 1) * sizeof m.id[0]);
                m.n--;
            }
            break;
        }
    }
    size_t i = 0, j = 0;
    while (i < m.n || j < p.n) {
        if (j < p.n && p.id[j] == UINT32_MAX) {
            j++;
            continue;
        }
        if (j == p.n || (i < m.n && m.to[i] <= p.to[j]))
            add_hit(m.id[i++], sum, hits, hits_cap, &n);
        else
            add_hit(p.id[j++], sum, hits, hits_cap, &n);
    }
    return n;
}

/* ---- request shape --------------------------------------------------------- */

static const char *const computer_tools[] = {
    "computer", "screenshot", "mouse", "click", "browser", "navigate", "screen", "keyboard",
    "playwright", "puppeteer", "desktop", NULL
};
static const char *const coding_tools[] = {
    "bash", "shell", "terminal", "str_replace", "editor", "edit_file", "write_file", "read_file",
    "apply_patch", "run_test", "execute", "python", "code_interpreter", "git", "grep", NULL
};

/* Which word lists a tool name hits, as bits (1: computer use, 2: coding):
 * a word counts if it occurs anywhere in the name's first 127 bytes, ASCII
 * letters folded to lower case, up to a NUL byte.  One pass over the name:
 * at each byte only the words starting with that byte are compared (a
 * table built once), instead of one strstr per word per list (measured: 7%
 * of the per-event path on seed-2026 before, under 1% after). */
static uint32_t word_starts[256];     /* bit w: word w starts with this byte */
static const char *all_words[32];
static uint8_t word_len[32], word_kind[32];
static pthread_once_t words_once = PTHREAD_ONCE_INIT;

static void words_init(void)
{
    size_t n = 0;
    for (size_t k = 0; computer_tools[k]; k++, n++) {
        all_words[n] = computer_tools[k];
        word_kind[n] = 1;
    }
    for (size_t k = 0; coding_tools[k]; k++, n++) {
        all_words[n] = coding_tools[k];
        word_kind[n] = 2;
    }
    for (size_t w = 0; w < n; w++) {
        word_len[w] = (uint8_t)strlen(all_words[w]);
        word_starts[(unsigned char)all_words[w][0]] |= UINT32_C(1) << w;
    }
}

static unsigned name_kinds(const struct hu_span *s)
{
    char low[128];
    size_t n = s->len < sizeof low - 1 ? s->len : sizeof low - 1;
    if (s->ptr == NULL)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s->ptr[i];
        if (c == 0) {
            n = i;
            break;
        }
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    unsigned kinds = 0;
    for (size_t i = 0; i < n && kinds != 3; i++) {
        uint32_t m = word_starts[(unsigned char)low[i]];
        while (m) {
            int w = __builtin_ctz(m);
            m &= m - 1;
            if (word_len[w] <= n - i && memcmp(low + i, all_words[w], word_len[w]) == 0)
                kinds |= word_kind[w];
        }
    }
    return kinds;
}

unsigned hu_targets_tool_kinds(const struct hu_event *ev)
{
    unsigned kinds = 0;
    if (ev == NULL || ev->n_tools == 0)
        return 0;
    pthread_once(&words_once, words_init);
    for (uint32_t i = 0; i < ev->n_tools && i < HU_MAX_TOOLS && kinds != 3; i++)
        kinds |= name_kinds(&ev->tools[i]);
    return kinds;
}

void hu_targets_shape_with(const struct hu_event *ev, unsigned tool_kinds, float sum[HU_TARGET_COUNT])
{
    if (ev == NULL)
        return;
    if (ev->n_tools > 0 || ev->tools_total > 0)
        sum[HU_TARGET_TOOLS] += 0.7f;
    if (ev->n_tool_use_blocks + ev->n_tool_result_blocks > 0)
        sum[HU_TARGET_TOOLS] += 1.0f;
    if (ev->n_tool_msgs > 0)
        sum[HU_TARGET_TOOLS] += 0.5f;
    if (ev->n_image_blocks > 0)
        sum[HU_TARGET_VISION] += 2.0f;
    if (tool_kinds & 1)
        sum[HU_TARGET_COMPUTER] += 1.5f;
    if (tool_kinds & 2)
        sum[HU_TARGET_CODING] += 0.8f;
    if (ev->thinking == 1)
        sum[HU_TARGET_COT] += 0.15f;
}

void hu_targets_shape(const struct hu_event *ev, float sum[HU_TARGET_COUNT])
{
    hu_targets_shape_with(ev, hu_targets_tool_kinds(ev), sum);
}

void hu_targets_saturate(const float sum[HU_TARGET_COUNT], float out[HU_TARGET_COUNT])
{
    for (int t = 0; t < HU_TARGET_COUNT; t++)
        out[t] = sum[t] > 0 ? 1.0f - expf(-sum[t]) : 0.0f;
}
