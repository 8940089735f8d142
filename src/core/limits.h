/*
 * limits.h -- every cap on untrusted input, in one place, with its reason.
 *
 * huella reads data written by the people it hunts.  Each limit below says
 * what hostile input it stops and why the value is safe for honest traffic
 * (SQLite sqliteLimit.h; curl's DYN_* maxima).  Input beyond a limit is a
 * rejected line or a truncated field, counted by reason, never a crash.
 */
#ifndef HU_CORE_LIMITS_H
#define HU_CORE_LIMITS_H

/* ---- ingest ------------------------------------------------------------ */

/* Longest input line, bytes.  Stops: a line without '\n' (a binary file,
 * an attacker streaming one endless JSON value) growing the line buffer
 * without bound.  Honest requests with long agentic conversations reach a
 * few MB; 16 MiB keeps them while bounding memory per reader. */
#define HU_MAX_LINE_BYTES        (16u << 20)

/* Longest string field kept, bytes (prompt, system, one message).  Longer
 * values are truncated to this length and counted (`field_truncated`): the
 * text features of a 1 MB prompt are decided by its first 256 KB, and the
 * per-event cost of normalisation stays bounded. */
#define HU_MAX_FIELD_BYTES       (256u << 10)

/* Longest identifier (account_id, ip, fingerprints, model, ...), bytes.
 * Stops: identifiers used to smuggle text or blow up hash tables.  Real
 * ids are < 100 bytes. */
#define HU_MAX_ID_BYTES          512u

/* Most `messages` entries examined per request.  Stops: 1e6-turn arrays
 * costing O(n) per line; only the count and the last user turn matter. */
#define HU_MAX_MESSAGES          4096u

/* Most `tools` entries read per request; the rest are counted only.
 * Stops: 100,000 declared tools.  Real agents declare < 200. */
#define HU_MAX_TOOLS             256u

/* Deepest JSON nesting accepted.  Stops: stack exhaustion from
 * [[[[...]]]] (simdjson's own default is 1024; ours is tighter). */
#define HU_MAX_JSON_DEPTH        64u

/* Most rejected lines reported individually on stderr; the rest are only
 * counted (and all of them go to --rejects FILE when given). */
#define HU_MAX_REJECTS_SHOWN     10u

/* Most --map rules.  A map names at most every contract field once. */
#define HU_MAX_MAP_RULES         64u
/* Longest JSON path in a --map rule, bytes. */
#define HU_MAX_MAP_PATH          256u

/* ---- profiles ---------------------------------------------------------- */

/* Distinct items kept exactly per account in a bounded set (IPs, prefixes,
 * ASNs, fingerprints, user agents, payment fingerprints).  Beyond it the
 * set keeps the smallest hashes (a KMV/bottom-k sample) and estimates the
 * cardinality: memory per account stays fixed however many addresses a
 * rotating proxy gives it. */
#define HU_PROFILE_SET_K         8u

/* Items all bounded sets of one account hold together (one inline pool,
 * 34 x 8 bytes; profile.h "Bounded sets").  Stops an account that rotates
 * every entity at once from costing 11 x 8 slots: past 34 items a set of
 * little linkage value becomes a smaller bottom-k sample.  The
 * simulator's seed-2026 accounts hold 23.5 on average, 34 at most. */
#define HU_PROFILE_SET_POOL      34u
/* A set the pool reduces keeps at least this many items (profile.h): a
 * bottom-3 sample still estimates a count; 11 x 3 < 34, so an overflowing
 * pool always has a set above it. */
#define HU_PROFILE_SET_FLOOR     3u

/* Heaviest templates tracked per account (space-saving counters). */
#define HU_PROFILE_TOP_TEMPLATES 8u

/* Models tracked per account for the release-pivot signal. */
#define HU_PROFILE_MODELS        4u

/* Cardinality bound on the profile table (`huella analyze --max-accounts`).
 * Stops: 10 million distinct account ids with one request each (a flood of
 * throw-away keys, or a log whose account field is a request id) growing
 * memory by ~2 KB per id until the machine swaps.  The default bound is
 * the physical memory times HU_MAX_ACCOUNTS_MEM_SHARE divided by
 * HU_ACCOUNT_BYTES_BOUND (1.5M accounts on a 24 GiB machine), never above
 * HU_MAX_ACCOUNTS_DEFAULT_CAP; see docs/reliability.md for the measured
 * bytes per account through the whole analyze run. */
#define HU_ACCOUNT_BYTES_BOUND       8192u
#define HU_MAX_ACCOUNTS_MEM_SHARE    0.5
#define HU_MAX_ACCOUNTS_DEFAULT_CAP  (64u << 20)

/* What eviction may throw out: accounts with at most this many requests
 * (one or two requests say little; a campaign account that matters has
 * more, or is pinned). */
#define HU_EVICT_MAX_REQ             2u

/* ---- network databases and clients (features/net_db.c, client.c) ------- */

/* Longest line of a CSV range or CIDR list file, bytes.  Stops: a file
 * without newlines (a binary given by mistake, a hostile list) growing the
 * line buffer.  Real lines are < 200 bytes; the longest org names ~120. */
#define HU_MAX_NET_LINE_BYTES    4096u

/* Longest AS organisation name kept, bytes; longer names are truncated. */
#define HU_MAX_NET_ORG_BYTES     255u

/* Most ranges in one address table (ASN, geo or CIDR, IPv4 and IPv6
 * together, after merging).  Stops: a multi-GB range file or a hostile
 * .mmdb exhausting memory at 48 bytes per range during the merge.  The real
 * ASN data (asn-ipv4 + asn-ipv6) is ~0.5M ranges and the iptoasn country
 * .mmdb ~0.6M. */
#define HU_MAX_NET_RANGES        (1u << 24)

/* Bytes of a User-Agent examined for its family.  Stops: 256 KB agents
 * costing O(len x table) per request; real agents are < 400 bytes. */
#define HU_MAX_UA_SCAN           1024u

/* ---- indicator sharing (STIX import and export) ----------------------- */

/* Largest STIX bundle or campaigns.json read, bytes.  Stops: a partner's
 * (or attacker's) multi-GB file exhausting memory: the whole document is
 * parsed into a tree (about 3x its size).  Real bundles of a few thousand
 * indicators are a few MB. */
#define HU_MAX_STIX_BYTES        (64u << 20)

/* Longest STIX pattern parsed, bytes.  Stops: quadratic or deep work on
 * a crafted pattern.  huella's own patterns are < 700 bytes (a 512-byte
 * user agent plus the path). */
#define HU_MAX_STIX_PATTERN      4096u

/* Most comparisons in one pattern that the loader reads.  Stops: an
 * indicator with 1e6 OR-ed addresses taking unbounded time per object. */
#define HU_MAX_STIX_COMPARISONS  64u

/* Most indicator values loaded from all --iocs bundles together.  Stops:
 * unbounded memory from a huge shared feed; 1M values is ~100 MB. */
#define HU_MAX_IOC_VALUES        1000000u
/* ---- the HTTP service (serve/) ------------------------------------------ */

/* Largest body of POST /v1/events.  Stops: one client buffering gigabytes
 * in the service; a gateway batches a few thousand lines per POST. */
#define HU_SERVE_MAX_EVENTS_BODY   (8u << 20)
/* Largest body of the decision, sign-up and admin endpoints.  A decision
 * request is a few hundred bytes; this stops a huge JSON document on the
 * hot path. */
#define HU_SERVE_MAX_SMALL_BODY    (64u << 10)
/* Request bodies held by all connections at once.  Stops: thousands of
 * clients each uploading a maximal body to exhaust memory; beyond it new
 * uploads get 503 with Retry-After. */
#define HU_SERVE_MAX_INFLIGHT_BODY (256u << 20)
/* Bad lines listed one by one in a POST /v1/events answer (all are
 * counted).  Stops: an answer larger than the request. */
#define HU_SERVE_MAX_LINE_ERRORS   100u
/* Memory per connection for request headers (libmicrohttpd's pool).  A
 * request whose headers do not fit gets 431; stops header floods. */
#define HU_SERVE_CONN_MEMORY       (32u << 10)
/* Idle or slow connections are closed after this many seconds without
 * progress: stops slowloris-style clients from holding sockets forever. */
#define HU_SERVE_CONN_TIMEOUT_S    15u
/* Most open connections (--max-connections); beyond it new ones are
 * answered 503 with Retry-After and closed (the process also raises
 * RLIMIT_NOFILE to fit, and lowers the cap if the hard limit is smaller). */
#define HU_SERVE_MAX_CONNECTIONS   16384u
/* Entries of the sign-up sharing tracker per kind (payment, address,
 * e-mail domain); the weakest entry is evicted beyond it. */
#define HU_SERVE_SIGNUP_SLOTS      (1u << 16)
/* Manual overrides plus runtime allowlist entries.  Stops an admin script
 * gone wrong from growing the table without bound. */
#define HU_SERVE_MAX_OVERRIDES     (1u << 20)
/* Open connections from one client address (--max-conns-per-ip).  Stops
 * one host taking every slot of HU_SERVE_MAX_CONNECTIONS; a quarter of it
 * leaves room for a busy gateway host's keep-alive pools.  Beyond it a
 * connection gets 503 with Retry-After and is closed. */
#define HU_SERVE_MAX_CONNS_PER_IP  4096u
/* Connections accepted beyond the cap only to be answered 503 and closed
 * (libmicrohttpd's own limit is cap + reserve; past that, connections wait
 * in the kernel backlog).  Stops a burst from queueing silently. */
#define HU_SERVE_CONN_RESERVE      1024u
/* A request must arrive whole (line, headers and body) within this many
 * seconds of the connection opening or of its previous answer
 * (--request-timeout; never below --conn-timeout).  Stops slowloris
 * clients that send one byte just before every idle timeout; an 8 MB
 * events body needs >= 280 kB/s. */
#define HU_SERVE_REQUEST_TIMEOUT_S 30u
/* A connection refused for capacity gets this long to send its request
 * line and read its 503 before it is closed.  Stops shed connections from
 * holding the reserve. */
#define HU_SERVE_SHED_GRACE_MS     2000u
/* POST /v1/events requests between their headers and their answer (most
 * of them uploading a body).  Beyond it new ones get 503 with Retry-After
 * before their body is read: a burst of uploads cannot queue unbounded
 * work behind the journal. */
#define HU_SERVE_MAX_EVENTS_INFLIGHT 64u
/* Decision records waiting for the recorder thread (GET /v1/decisions/
 * {id}), ~870 bytes each, two buffers.  Stops: a flood of refused requests
 * growing memory while SQLite writes; beyond it records are dropped and
 * counted (huella_decision_records_total{result="dropped"}), the decision
 * itself is never delayed. */
#define HU_SERVE_DECISION_QUEUE    4096u
/* Decision records kept in the store (the newest), and their age limit.
 * Stops: the decisions table growing the database without bound; a
 * record is ~250 bytes, so ~250 MB at the row bound. */
#define HU_SERVE_DECISIONS_KEEP    1000000u
#define HU_SERVE_DECISIONS_DAYS    30u

/* ---- fingerprint library (src/fprint/) ----------------------------------- */

/* Most campaign entries in one library.  Stops: a crafted library making
 * every request scan millions of entries; a provider tracks hundreds to a
 * few thousand campaigns. */
#define HU_MAX_FP_ENTRIES        65536u

/* Most tokens in one library (all entries).  Stops: memory exhaustion from
 * a hostile file; 65536 entries x 7 types x 64 tokens would be 29 M, real
 * libraries hold ~100 per entry. */
#define HU_MAX_FP_TOKENS         (1u << 22)

/* Largest library file read, bytes.  Stops: reading a multi-GB file into
 * memory; the limits above need < 150 MB. */
#define HU_MAX_FP_FILE_BYTES     (256u << 20)

/* Most accounts tracked by one online matcher.  Stops: unbounded memory
 * from a stream of fresh account ids (~700 bytes each: 16 M is 11 GB). */
#define HU_MAX_FP_ONLINE         (1u << 24)

#endif
