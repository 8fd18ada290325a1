/*
 * C tests of the kvgraph C API (include/kvgraph.h): every function, every
 * error path, and one engine shared by several pthreads.
 *
 * Plain C99 with a tiny assert macro; built and run (under valgrind and the
 * sanitizers) by tests/c/run.sh. Exits non-zero if any check fails.
 */
#define _POSIX_C_SOURCE 200809L

#include "kvgraph.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int checks_passed;
static int checks_failed;

static const char *last_error_or_none(void) {
    const char *e = kvg_last_error();
    return e ? e : "(none)";
}

/* CHECK(cond): count a pass, or report the failure and go on. */
#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (cond) {                                                                          \
            checks_passed++;                                                                 \
        } else {                                                                             \
            checks_failed++;                                                                 \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (last error: %s)\n", __FILE__, __LINE__, \
                    #cond, last_error_or_none());                                            \
        }                                                                                    \
    } while (0)

/* EXPECT(call, status): the call returns exactly `status`. */
#define EXPECT(call, status)                                                                   \
    do {                                                                                       \
        kvg_status got_ = (call);                                                              \
        if (got_ == (status)) {                                                                \
            checks_passed++;                                                                   \
        } else {                                                                               \
            checks_failed++;                                                                   \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s (last error: %s)\n", __FILE__, \
                    __LINE__, #call, kvg_status_str(got_), kvg_status_str(status),             \
                    last_error_or_none());                                                     \
        }                                                                                      \
    } while (0)

#define OK(call) EXPECT(call, KVG_OK)

/* The last error mentions `needle`. */
#define CHECK_ERROR_HAS(needle) CHECK(strstr(last_error_or_none(), (needle)) != NULL)

#define KEY(s) (const uint8_t *)(s), strlen(s)

/* `b` holds exactly the bytes of the C string `s`; frees it. */
static int take_eq(kvg_bytes *b, const char *s) {
    int eq = b->data != NULL && b->len == strlen(s) && memcmp(b->data, s, b->len) == 0 &&
             b->data[b->len] == 0;
    kvg_bytes_free(b);
    return eq && b->data == NULL && b->len == 0;
}

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static kvg_engine *open_engine(void) {
    kvg_engine *e = NULL;
    OK(kvg_engine_open(NULL, &e));
    CHECK(e != NULL);
    return e;
}

/* ------------------------------------------------------------------------ */

static void *fresh_thread_last_error(void *arg) {
    (void)arg;
    return (void *)(kvg_last_error() == NULL ? (void *)1 : NULL);
}

static void test_status_and_version(void) {
    const char *names[] = {"ok", "not found", "conflict", "invalid argument",
                           "buffer too small", "out of memory", "panic"};
    for (int i = 0; i <= KVG_PANIC; i++) CHECK(strcmp(kvg_status_str((kvg_status)i), names[i]) == 0);
    CHECK(strcmp(kvg_status_str((kvg_status)42), "unknown status") == 0);
    CHECK(strcmp(kvg_status_str((kvg_status)-1), "unknown status") == 0);
    CHECK(KVG_OK == 0 && KVG_NOT_FOUND == 1 && KVG_CONFLICT == 2 && KVG_INVALID_ARGUMENT == 3 &&
          KVG_BUFFER_TOO_SMALL == 4 && KVG_OUT_OF_MEMORY == 5 && KVG_PANIC == 6);
    CHECK(KVG_OUT == 0 && KVG_IN == 1 && KVG_BOTH == 2);

    const char *v = kvg_version();
    CHECK(v != NULL && v[0] >= '0' && v[0] <= '9' && strchr(v, '.') != NULL);
    CHECK(kvg_version() == v);

    /* A thread that never failed has no last error. */
    pthread_t t;
    void *fresh = NULL;
    CHECK(pthread_create(&t, NULL, fresh_thread_last_error, NULL) == 0);
    pthread_join(t, &fresh);
    CHECK(fresh != NULL);

    /* A failure sets it; a later success leaves it; the next failure replaces it. */
    EXPECT(kvg_engine_open(NULL, NULL), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("out is NULL");
    kvg_engine *e = open_engine();
    CHECK_ERROR_HAS("out is NULL");
    EXPECT(kvg_kv_delete(e, KEY("absent")), KVG_NOT_FOUND);
    CHECK_ERROR_HAS("key not found");
    OK(kvg_engine_close(e));
}

static void test_bytes_and_config(void) {
    kvg_bytes_free(NULL);
    kvg_bytes zero = {NULL, 0};
    kvg_bytes_free(&zero);
    CHECK(zero.data == NULL && zero.len == 0);

    kvg_config c;
    memset(&c, 0xAB, sizeof c);
    kvg_config_default(&c);
    CHECK(c.auto_compact == true && c.compaction_min_delta == 65536 && c.compaction_ratio == 0.5);
    kvg_config_default(NULL);

    kvg_engine *e = (kvg_engine *)0x1;
    c.compaction_ratio = NAN;
    EXPECT(kvg_engine_open(&c, &e), KVG_INVALID_ARGUMENT);
    CHECK(e == NULL);
    CHECK_ERROR_HAS("compaction_ratio");
    c.compaction_ratio = -1.0;
    EXPECT(kvg_engine_open(&c, &e), KVG_INVALID_ARGUMENT);
    c.compaction_ratio = INFINITY;
    EXPECT(kvg_engine_open(&c, &e), KVG_INVALID_ARGUMENT);

    /* Auto-compaction on a tiny threshold compacts by itself; off, it never does. */
    for (int on = 0; on <= 1; on++) {
        kvg_config_default(&c);
        c.auto_compact = on;
        c.compaction_min_delta = 8;
        c.compaction_ratio = 0.0;
        OK(kvg_engine_open(&c, &e));
        uint64_t first = 0;
        OK(kvg_nodes_add(e, 64, NULL, &first));
        for (uint64_t i = 0; i < 63; i++) OK(kvg_edge_add(e, first + i, first + i + 1, NULL, 1.0));
        kvg_graph_stats st;
        OK(kvg_graph_get_stats(e, &st));
        CHECK(st.nodes == 64 && st.edges == 63);
        CHECK(on ? st.compactions > 0 : st.compactions == 0);
        CHECK(on ? st.delta_edges < 63 : st.delta_edges == 63);
        OK(kvg_engine_close(e));
    }
}

static void test_handles(void) {
    kvg_engine *e = open_engine();
    kvg_snapshot *s = NULL;
    kvg_kv_iter *it = NULL;
    OK(kvg_snapshot_open(e, &s));
    OK(kvg_kv_set(e, KEY("k"), KEY("v")));
    OK(kvg_kv_scan_open(e, NULL, 0, NULL, 0, &it));

    /* _close(NULL) is a no-op. */
    OK(kvg_engine_close(NULL));
    OK(kvg_snapshot_close(NULL));
    OK(kvg_kv_iter_close(NULL));

    /* Wrong kinds, foreign pointers and NULLs are rejected, never followed. */
    EXPECT(kvg_engine_close((kvg_engine *)s), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("a snapshot, not an engine");
    EXPECT(kvg_snapshot_close((kvg_snapshot *)it), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_kv_iter_close((kvg_kv_iter *)e), KVG_INVALID_ARGUMENT);
    uint64_t n = 0;
    EXPECT(kvg_kv_len((const kvg_engine *)s, &n), KVG_INVALID_ARGUMENT);
    int local = 0;
    EXPECT(kvg_kv_len((const kvg_engine *)&local, &n), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("closed or invalid");
    EXPECT(kvg_kv_len(NULL, &n), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("NULL");
    EXPECT(kvg_snapshot_node_count(NULL, &n), KVG_INVALID_ARGUMENT);

    /* Closing the engine first is safe: snapshot and iterator live on. */
    OK(kvg_engine_close(e));
    EXPECT(kvg_engine_close(e), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("closed");
    EXPECT(kvg_kv_set(e, KEY("k"), KEY("v")), KVG_INVALID_ARGUMENT);
    kvg_snapshot *s2 = (kvg_snapshot *)0x1;
    EXPECT(kvg_snapshot_open(e, &s2), KVG_INVALID_ARGUMENT);
    CHECK(s2 == NULL);
    OK(kvg_snapshot_node_count(s, &n));
    OK(kvg_snapshot_close(s));
    kvg_bytes k = {NULL, 0}, v = {NULL, 0};
    OK(kvg_kv_iter_next(it, &k, &v)); /* the iterator outlives its engine */
    CHECK(take_eq(&k, "k") && take_eq(&v, "v"));
    EXPECT(kvg_kv_iter_next(it, &k, &v), KVG_NOT_FOUND);
    OK(kvg_kv_iter_close(it));
    EXPECT(kvg_kv_iter_close(it), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_kv_iter_next(it, &k, &v), KVG_INVALID_ARGUMENT);
}

static void test_snapshot_outlives_engine(void) {
    kvg_engine *e = open_engine();
    uint64_t a = 0, b = 0;
    OK(kvg_node_add(e, "P", &a));
    OK(kvg_node_add(e, "P", &b));
    OK(kvg_edge_add(e, a, b, "E", 2.0));
    kvg_snapshot *s = NULL;
    OK(kvg_snapshot_open(e, &s));
    OK(kvg_engine_close(e));
    uint64_t n = 0, buf[2];
    size_t len = 0;
    OK(kvg_snapshot_edge_count(s, &n));
    CHECK(n == 1);
    OK(kvg_snapshot_neighbors(s, a, KVG_OUT, "E", buf, 2, &len));
    CHECK(len == 1 && buf[0] == b);
    OK(kvg_snapshot_close(s));
    EXPECT(kvg_snapshot_close(s), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_edge_count(s, &n), KVG_INVALID_ARGUMENT);
}

/* ------------------------------------------------------------------------ */

static void test_kv(void) {
    kvg_engine *e = open_engine();
    kvg_bytes out = {NULL, 0};

    OK(kvg_kv_set(e, KEY("user:1"), KEY("Ada")));
    OK(kvg_kv_get(e, KEY("user:1"), &out));
    CHECK(take_eq(&out, "Ada"));
    OK(kvg_kv_set(e, KEY("user:1"), KEY("Grace")));
    OK(kvg_kv_get(e, KEY("user:1"), &out));
    CHECK(take_eq(&out, "Grace"));

    /* Empty keys/values: (NULL, 0) and ("", 0) are the same empty string. */
    OK(kvg_kv_set(e, NULL, 0, NULL, 0));
    OK(kvg_kv_get(e, (const uint8_t *)"", 0, &out));
    CHECK(out.data != NULL && out.len == 0 && out.data[0] == 0);
    kvg_bytes_free(&out);
    OK(kvg_kv_delete(e, NULL, 0));

    /* Binary keys and values with NUL bytes. */
    const uint8_t bk[] = {0, 1, 0, 2}, bv[] = {0xff, 0, 0xfe};
    OK(kvg_kv_set(e, bk, sizeof bk, bv, sizeof bv));
    OK(kvg_kv_get(e, bk, sizeof bk, &out));
    CHECK(out.len == 3 && memcmp(out.data, bv, 3) == 0);
    kvg_bytes_free(&out);
    kvg_bytes_free(&out); /* zeroed: no-op */

    /* NULL with a length, NULL outputs. */
    EXPECT(kvg_kv_set(e, NULL, 1, KEY("v")), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("key is NULL but its length is 1");
    EXPECT(kvg_kv_set(e, KEY("k"), NULL, 5), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("value is NULL");
    EXPECT(kvg_kv_get(e, KEY("user:1"), NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_kv_get(e, NULL, 2, &out), KVG_INVALID_ARGUMENT);

    /* get / delete of an absent key. */
    out.data = (uint8_t *)"garbage";
    out.len = 7;
    EXPECT(kvg_kv_get(e, KEY("nope"), &out), KVG_NOT_FOUND);
    CHECK(out.data == NULL && out.len == 0);
    EXPECT(kvg_kv_delete(e, KEY("nope")), KVG_NOT_FOUND);
    OK(kvg_kv_delete(e, KEY("user:1")));
    EXPECT(kvg_kv_get(e, KEY("user:1"), &out), KVG_NOT_FOUND);
    EXPECT(kvg_kv_delete(e, NULL, 3), KVG_INVALID_ARGUMENT);

    /* insert. */
    OK(kvg_kv_insert(e, KEY("once"), KEY("1")));
    EXPECT(kvg_kv_insert(e, KEY("once"), KEY("2")), KVG_CONFLICT);
    CHECK_ERROR_HAS("already present");
    OK(kvg_kv_get(e, KEY("once"), &out));
    CHECK(take_eq(&out, "1"));
    EXPECT(kvg_kv_insert(e, KEY("x"), NULL, 1), KVG_INVALID_ARGUMENT);

    /* compare-and-swap. */
    EXPECT(kvg_kv_compare_and_swap(e, KEY("absent"), KEY("a"), KEY("b")), KVG_NOT_FOUND);
    EXPECT(kvg_kv_compare_and_swap(e, KEY("once"), KEY("2"), KEY("3")), KVG_CONFLICT);
    OK(kvg_kv_compare_and_swap(e, KEY("once"), KEY("1"), KEY("3")));
    OK(kvg_kv_get(e, KEY("once"), &out));
    CHECK(take_eq(&out, "3"));
    EXPECT(kvg_kv_compare_and_swap(e, KEY("once"), NULL, 1, KEY("4")), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_kv_compare_and_swap(e, KEY("once"), KEY("3"), NULL, 1), KVG_INVALID_ARGUMENT);

    /* incr. */
    int64_t n = 0;
    OK(kvg_kv_incr(e, KEY("ctr"), 5, &n));
    CHECK(n == 5);
    OK(kvg_kv_incr(e, KEY("ctr"), -7, &n));
    CHECK(n == -2);
    OK(kvg_kv_incr(e, KEY("ctr"), 1, NULL)); /* result not wanted */
    OK(kvg_kv_get(e, KEY("ctr"), &out));
    CHECK(take_eq(&out, "-1"));
    OK(kvg_kv_set(e, KEY("word"), KEY("abc")));
    EXPECT(kvg_kv_incr(e, KEY("word"), 1, &n), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("not an integer");
    OK(kvg_kv_set(e, KEY("big"), KEY("9223372036854775807")));
    EXPECT(kvg_kv_incr(e, KEY("big"), 1, &n), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("overflow");
    OK(kvg_kv_get(e, KEY("big"), &out));
    CHECK(take_eq(&out, "9223372036854775807"));

    /* TTL. */
    EXPECT(kvg_kv_set_with_ttl(e, KEY("t"), KEY("v"), 0), KVG_INVALID_ARGUMENT);
    OK(kvg_kv_set_with_ttl(e, KEY("t"), KEY("v"), 60));
    OK(kvg_kv_set_with_ttl(e, KEY("long"), KEY("v"), 3600 * 1000));
    OK(kvg_kv_get(e, KEY("t"), &out));
    CHECK(take_eq(&out, "v"));
    sleep_ms(150);
    EXPECT(kvg_kv_get(e, KEY("t"), &out), KVG_NOT_FOUND);
    OK(kvg_kv_get(e, KEY("long"), &out));
    CHECK(take_eq(&out, "v"));
    EXPECT(kvg_kv_set_with_ttl(e, NULL, 1, KEY("v"), 10), KVG_INVALID_ARGUMENT);

    /* len: once, ctr, word, big, long, and the binary key. */
    uint64_t len = 0;
    OK(kvg_kv_len(e, &len));
    CHECK(len == 6);
    EXPECT(kvg_kv_len(e, NULL), KVG_INVALID_ARGUMENT);

    OK(kvg_engine_maintain(e));
    EXPECT(kvg_engine_maintain(NULL), KVG_INVALID_ARGUMENT);
    uint64_t retired = 0, freed = 0;
    OK(kvg_engine_memory_stats(e, &retired, &freed));
    CHECK(retired > 0 && freed <= retired);
    EXPECT(kvg_engine_memory_stats(e, NULL, &freed), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_engine_memory_stats(e, &retired, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_engine_memory_stats(NULL, &retired, &freed), KVG_INVALID_ARGUMENT);

    OK(kvg_engine_close(e));
}

/* Collects the keys an iterator yields, joined by ',', and closes it. */
static void drain(kvg_kv_iter *it, char *joined, size_t cap) {
    kvg_bytes k = {NULL, 0}, v = {NULL, 0};
    joined[0] = 0;
    kvg_status st;
    while ((st = kvg_kv_iter_next(it, &k, &v)) == KVG_OK) {
        CHECK(v.len == 1 && v.data[0] == 'v');
        if (joined[0]) strncat(joined, ",", cap - strlen(joined) - 1);
        strncat(joined, (const char *)k.data, cap - strlen(joined) - 1);
        kvg_bytes_free(&k);
        kvg_bytes_free(&v);
    }
    CHECK(st == KVG_NOT_FOUND && k.data == NULL && v.data == NULL);
    EXPECT(kvg_kv_iter_next(it, &k, &v), KVG_NOT_FOUND); /* and stays there */
    OK(kvg_kv_iter_close(it));
}

/* ------------------------------------------------------------------------ */
/* Batches and kvg_kv_get_into */

/* Item `i` of a batch read: its bytes in `*item` (NULL if KVG_NO_VALUE);
 * returns its length. */
static size_t batch_item(const kvg_bytes *values, const size_t *lens, size_t i, const uint8_t **item) {
    size_t at = 0;
    for (size_t j = 0; j < i; j++)
        if (lens[j] != KVG_NO_VALUE) at += lens[j];
    *item = lens[i] == KVG_NO_VALUE ? NULL : values->data + at;
    return lens[i];
}

static int batch_item_eq(const kvg_bytes *values, const size_t *lens, size_t i, const char *s) {
    const uint8_t *item;
    size_t len = batch_item(values, lens, i, &item);
    return item != NULL && len == strlen(s) && memcmp(item, s, len) == 0;
}

static void test_batches(void) {
    kvg_engine *e = open_engine();
    kvg_bytes out = {NULL, 0};
    CHECK(KVG_NO_VALUE == SIZE_MAX);

    /* kvg_kv_set_many: packed keys and values; a later duplicate wins. */
    const char keys[] = "aa" "bbb" "" "aa";
    const size_t key_lens[] = {2, 3, 0, 2};
    const char values[] = "one" "two" "" "three";
    const size_t value_lens[] = {3, 3, 0, 5};
    OK(kvg_kv_set_many(e, (const uint8_t *)keys, key_lens, (const uint8_t *)values, value_lens, 4));
    uint64_t n = 0;
    OK(kvg_kv_len(e, &n));
    CHECK(n == 3);
    OK(kvg_kv_set_many(e, NULL, NULL, NULL, NULL, 0));

    /* kvg_kv_get_many: found values packed, KVG_NO_VALUE for missing keys. */
    const char get_keys[] = "aa" "zz" "bbb" "";
    const size_t get_lens[] = {2, 2, 3, 0};
    size_t lens[4] = {0, 0, 0, 0};
    OK(kvg_kv_get_many(e, (const uint8_t *)get_keys, get_lens, 4, &out, lens));
    CHECK(lens[0] == 5 && lens[1] == KVG_NO_VALUE && lens[2] == 3 && lens[3] == 0);
    CHECK(out.data != NULL && out.len == 8 && out.data[8] == 0);
    CHECK(batch_item_eq(&out, lens, 0, "three") && batch_item_eq(&out, lens, 2, "two"));
    CHECK(batch_item_eq(&out, lens, 3, ""));
    kvg_bytes_free(&out);
    OK(kvg_kv_get_many(e, NULL, NULL, 0, &out, NULL));
    CHECK(out.data != NULL && out.len == 0);
    kvg_bytes_free(&out);

    /* Bad batches write nothing and clear the outputs. */
    const size_t huge[] = {SIZE_MAX, 2};
    EXPECT(kvg_kv_set_many(e, (const uint8_t *)"xy", huge, (const uint8_t *)"12", value_lens, 2),
           KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("add up to more than SIZE_MAX");
    EXPECT(kvg_kv_set_many(e, (const uint8_t *)"xy", NULL, (const uint8_t *)"12", value_lens, 2),
           KVG_INVALID_ARGUMENT);
    EXPECT(kvg_kv_set_many(e, NULL, key_lens, NULL, value_lens, 2), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("keys is NULL");
    OK(kvg_kv_len(e, &n));
    CHECK(n == 3);
    EXPECT(kvg_kv_get_many(e, (const uint8_t *)"xy", huge, 2, &out, lens), KVG_INVALID_ARGUMENT);
    CHECK(out.data == NULL && lens[0] == KVG_NO_VALUE && lens[1] == KVG_NO_VALUE);
    EXPECT(kvg_kv_get_many(e, (const uint8_t *)"aa", get_lens, 1, NULL, lens), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_kv_get_many(e, (const uint8_t *)"aa", get_lens, 1, &out, NULL), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("out_lens is NULL");

    /* kvg_kv_get_into: one call, the value in a caller buffer. */
    uint8_t buf[8];
    size_t len = 99;
    OK(kvg_kv_get_into(e, KEY("aa"), buf, sizeof buf, &len));
    CHECK(len == 5 && memcmp(buf, "three", 5) == 0);
    memset(buf, 0, sizeof buf);
    EXPECT(kvg_kv_get_into(e, KEY("aa"), buf, 4, &len), KVG_BUFFER_TOO_SMALL);
    CHECK(len == 5 && buf[0] == 0);
    EXPECT(kvg_kv_get_into(e, KEY("aa"), NULL, 0, &len), KVG_BUFFER_TOO_SMALL);
    CHECK(len == 5);
    EXPECT(kvg_kv_get_into(e, KEY("nope"), buf, sizeof buf, &len), KVG_NOT_FOUND);
    CHECK(len == 0);
    EXPECT(kvg_kv_get_into(e, KEY("aa"), NULL, 4, &len), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_kv_get_into(e, KEY("aa"), buf, sizeof buf, NULL), KVG_INVALID_ARGUMENT);

    /* Properties of many nodes: one name, values packed. */
    uint64_t first = 0;
    OK(kvg_nodes_add(e, 3, "Person", &first));
    const uint64_t ids[] = {first, first + 2};
    const size_t name_lens[] = {3, 5};
    OK(kvg_nodes_set_property(e, ids, 2, "name", (const uint8_t *)"AdaGrace", name_lens));
    const uint64_t get_ids[] = {first, first + 1, first + 2, first + 1000};
    OK(kvg_nodes_get_property(e, get_ids, 4, "name", &out, lens));
    CHECK(lens[1] == KVG_NO_VALUE && lens[3] == KVG_NO_VALUE);
    CHECK(batch_item_eq(&out, lens, 0, "Ada") && batch_item_eq(&out, lens, 2, "Grace"));
    kvg_bytes_free(&out);

    /* An unknown id, a bad name, NULL arrays: nothing written. */
    const uint64_t bad_ids[] = {first + 1, first + 1000};
    EXPECT(kvg_nodes_set_property(e, bad_ids, 2, "name", (const uint8_t *)"xy", (const size_t[]){1, 1}),
           KVG_NOT_FOUND);
    CHECK_ERROR_HAS("nothing was written");
    EXPECT(kvg_node_get_property(e, first + 1, "name", &out), KVG_NOT_FOUND);
    EXPECT(kvg_nodes_set_property(e, ids, 2, "\xff", (const uint8_t *)"AdaGrace", name_lens),
           KVG_INVALID_ARGUMENT);
    EXPECT(kvg_nodes_set_property(e, NULL, 2, "name", (const uint8_t *)"AdaGrace", name_lens),
           KVG_INVALID_ARGUMENT);
    EXPECT(kvg_nodes_set_property(e, ids, 2, "name", NULL, name_lens), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_nodes_get_property(e, get_ids, 4, NULL, &out, lens), KVG_INVALID_ARGUMENT);
    CHECK(out.data == NULL && lens[0] == KVG_NO_VALUE);
    OK(kvg_nodes_set_property(e, NULL, 0, "name", NULL, NULL));

    OK(kvg_engine_close(e));
    EXPECT(kvg_kv_set_many(e, NULL, NULL, NULL, NULL, 0), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_kv_get_many(e, NULL, NULL, 0, &out, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_kv_get_into(e, KEY("aa"), buf, sizeof buf, &len), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_nodes_get_property(e, NULL, 0, "name", &out, NULL), KVG_INVALID_ARGUMENT);
    CHECK(out.data == NULL);
}

static void test_scans(void) {
    kvg_engine *e = open_engine();
    const char *keys[] = {"b", "a", "ab", "abc", "b\xff", "c", "ac"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) OK(kvg_kv_set(e, KEY(keys[i]), KEY("v")));
    char joined[256];
    kvg_kv_iter *it = NULL;

    OK(kvg_kv_scan_open(e, NULL, 0, NULL, 0, &it));
    drain(it, joined, sizeof joined);
    CHECK(strcmp(joined, "a,ab,abc,ac,b,b\xff,c") == 0);

    OK(kvg_kv_scan_open(e, KEY("ab"), KEY("b"), &it));
    drain(it, joined, sizeof joined);
    CHECK(strcmp(joined, "ab,abc,ac") == 0);

    OK(kvg_kv_scan_open(e, KEY("b"), NULL, 123, &it)); /* NULL bound: unbounded, length ignored */
    drain(it, joined, sizeof joined);
    CHECK(strcmp(joined, "b,b\xff,c") == 0);

    OK(kvg_kv_scan_open(e, NULL, 0, KEY("ab"), &it));
    drain(it, joined, sizeof joined);
    CHECK(strcmp(joined, "a") == 0);

    OK(kvg_kv_scan_open(e, NULL, 0, (const uint8_t *)"", 0, &it)); /* empty end: empty range */
    drain(it, joined, sizeof joined);
    CHECK(strcmp(joined, "") == 0);

    OK(kvg_kv_scan_prefix_open(e, KEY("ab"), &it));
    drain(it, joined, sizeof joined);
    CHECK(strcmp(joined, "ab,abc") == 0);

    OK(kvg_kv_scan_prefix_open(e, KEY("b"), &it));
    drain(it, joined, sizeof joined);
    CHECK(strcmp(joined, "b,b\xff") == 0);

    OK(kvg_kv_scan_prefix_open(e, NULL, 0, &it));
    drain(it, joined, sizeof joined);
    CHECK(strcmp(joined, "a,ab,abc,ac,b,b\xff,c") == 0);

    it = (kvg_kv_iter *)0x1;
    EXPECT(kvg_kv_scan_prefix_open(e, NULL, 2, &it), KVG_INVALID_ARGUMENT);
    CHECK(it == NULL);
    EXPECT(kvg_kv_scan_open(e, NULL, 0, NULL, 0, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_kv_scan_prefix_open(e, NULL, 0, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_kv_scan_open(NULL, NULL, 0, NULL, 0, &it), KVG_INVALID_ARGUMENT);

    /* NULL outputs of next; deletion during a scan; close mid-way. */
    OK(kvg_kv_scan_open(e, NULL, 0, NULL, 0, &it));
    kvg_bytes k = {NULL, 0}, v = {NULL, 0};
    EXPECT(kvg_kv_iter_next(it, NULL, &v), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_kv_iter_next(it, &k, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_kv_iter_next(NULL, &k, &v), KVG_INVALID_ARGUMENT);
    OK(kvg_kv_iter_next(it, &k, &v));
    CHECK(take_eq(&k, "a"));
    kvg_bytes_free(&v);
    OK(kvg_kv_iter_close(it));

    OK(kvg_engine_close(e));
}

/* ------------------------------------------------------------------------ */

static void test_graph_writes(void) {
    kvg_engine *e = open_engine();
    uint64_t a = 0, b = 0, first = 0;
    kvg_bytes out = {NULL, 0};

    OK(kvg_node_add(e, "Person", &a));
    OK(kvg_node_add(e, NULL, &b));
    CHECK(b == a + 1);
    EXPECT(kvg_node_add(e, "Person", NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_add(e, "\xff\xfe", &b), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("UTF-8");
    EXPECT(kvg_node_add(NULL, "Person", &b), KVG_INVALID_ARGUMENT);
    OK(kvg_nodes_add(e, 10, "Thing", &first));
    CHECK(first == a + 2);
    EXPECT(kvg_nodes_add(e, 10, "Thing", NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_nodes_add(e, 1, "\xc3", &first), KVG_INVALID_ARGUMENT);

    kvg_graph_stats st;
    OK(kvg_graph_get_stats(e, &st));
    CHECK(st.nodes == 12 && st.edges == 0);
    EXPECT(kvg_graph_get_stats(e, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_graph_get_stats(NULL, &st), KVG_INVALID_ARGUMENT);

    /* Labels. */
    OK(kvg_node_label(e, a, &out));
    CHECK(take_eq(&out, "Person"));
    OK(kvg_node_label(e, a + 1, &out));
    CHECK(take_eq(&out, ""));
    OK(kvg_node_label(e, first + 9, &out));
    CHECK(take_eq(&out, "Thing"));
    EXPECT(kvg_node_label(e, 999, &out), KVG_NOT_FOUND);
    CHECK(out.data == NULL);
    EXPECT(kvg_node_label(e, a, NULL), KVG_INVALID_ARGUMENT);

    /* Properties. */
    OK(kvg_node_set_property(e, a, "name", KEY("John Doe")));
    OK(kvg_node_get_property(e, a, "name", &out));
    CHECK(take_eq(&out, "John Doe"));
    OK(kvg_node_set_property(e, a, "empty", NULL, 0));
    OK(kvg_node_get_property(e, a, "empty", &out));
    CHECK(out.len == 0 && out.data != NULL);
    kvg_bytes_free(&out);
    EXPECT(kvg_node_get_property(e, a, "unset", &out), KVG_NOT_FOUND);
    CHECK_ERROR_HAS("unset");
    EXPECT(kvg_node_get_property(e, 999, "name", &out), KVG_NOT_FOUND);
    EXPECT(kvg_node_get_property(e, a, NULL, &out), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_get_property(e, a, "\xff", &out), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_get_property(e, a, "name", NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_set_property(e, 999, "name", KEY("x")), KVG_NOT_FOUND);
    EXPECT(kvg_node_set_property(e, a, NULL, KEY("x")), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_set_property(e, a, "\x80", KEY("x")), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_set_property(e, a, "name", NULL, 4), KVG_INVALID_ARGUMENT);

    /* Edges. */
    OK(kvg_edge_add(e, a, b, "FRIEND", 1.0));
    OK(kvg_edge_add(e, a, b, "FRIEND", 3.0)); /* update */
    OK(kvg_edge_add(e, a, b, NULL, 1.0));
    EXPECT(kvg_edge_add(e, a, 999, "FRIEND", 1.0), KVG_NOT_FOUND);
    EXPECT(kvg_edge_add(e, 999, a, "FRIEND", 1.0), KVG_NOT_FOUND);
    EXPECT(kvg_edge_add(e, a, b, "FRIEND", NAN), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_edge_add(e, a, b, "\xff", 1.0), KVG_INVALID_ARGUMENT);
    OK(kvg_graph_get_stats(e, &st));
    CHECK(st.edges == 2);
    OK(kvg_edge_remove(e, a, b, NULL));
    EXPECT(kvg_edge_remove(e, a, b, NULL), KVG_NOT_FOUND);
    EXPECT(kvg_edge_remove(e, b, a, "FRIEND"), KVG_NOT_FOUND);
    EXPECT(kvg_edge_remove(e, a, b, "NO_SUCH_TYPE"), KVG_NOT_FOUND);
    EXPECT(kvg_edge_remove(e, a, b, "\xff"), KVG_INVALID_ARGUMENT);

    /* Bulk load. */
    uint64_t src[] = {first, first + 1, first + 2}, dst[] = {first + 1, first + 2, first};
    double w[] = {0.5, 0.25, 2.0};
    OK(kvg_edges_load(e, src, dst, w, 3, "LINK"));
    OK(kvg_edges_load(e, src, dst, NULL, 2, NULL));
    OK(kvg_edges_load(e, NULL, NULL, NULL, 0, NULL));
    EXPECT(kvg_edges_load(e, NULL, dst, NULL, 3, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_edges_load(e, src, NULL, NULL, 3, NULL), KVG_INVALID_ARGUMENT);
    uint64_t bad[] = {first, 12345};
    EXPECT(kvg_edges_load(e, bad, bad, NULL, 2, NULL), KVG_NOT_FOUND);
    double nan_w[] = {NAN};
    EXPECT(kvg_edges_load(e, src, dst, nan_w, 1, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_edges_load(e, src, dst, NULL, 1, "\xff"), KVG_INVALID_ARGUMENT);
    OK(kvg_graph_get_stats(e, &st));
    CHECK(st.edges == 6 && st.compactions >= 2);

    /* Compaction empties the delta. */
    OK(kvg_edge_add(e, b, a, "FRIEND", 1.0));
    OK(kvg_graph_get_stats(e, &st));
    CHECK(st.delta_edges > 0);
    uint64_t before = st.compactions;
    OK(kvg_graph_compact(e));
    OK(kvg_graph_get_stats(e, &st));
    CHECK(st.delta_edges == 0 && st.compactions == before + 1 && st.edges == 7);
    OK(kvg_graph_compact(e)); /* nothing to merge: still OK */
    EXPECT(kvg_graph_compact(NULL), KVG_INVALID_ARGUMENT);

    /* Removing a node removes its edges and properties. */
    OK(kvg_node_remove(e, a));
    EXPECT(kvg_node_remove(e, a), KVG_NOT_FOUND);
    EXPECT(kvg_node_remove(e, 999), KVG_NOT_FOUND);
    EXPECT(kvg_node_get_property(e, a, "name", &out), KVG_NOT_FOUND);
    EXPECT(kvg_node_label(e, a, &out), KVG_NOT_FOUND);
    EXPECT(kvg_edge_add(e, a, b, NULL, 1.0), KVG_NOT_FOUND);
    EXPECT(kvg_node_remove(NULL, a), KVG_INVALID_ARGUMENT);
    OK(kvg_graph_get_stats(e, &st));
    CHECK(st.nodes == 11 && st.edges == 5);

    OK(kvg_engine_close(e));
}

/* ------------------------------------------------------------------------ */

/* 0 <-> 1 <-> 2 <-> 0 (an undirected triangle), 2 -> 3 (weight 5), 3 -> 4
 * (weight 0.5), node 5 isolated, node 6 removed. Returns the first id. */
static uint64_t build_small(kvg_engine *e) {
    uint64_t f = 0;
    OK(kvg_nodes_add(e, 7, "N", &f));
    uint64_t tri[][2] = {{0, 1}, {1, 2}, {2, 0}};
    for (int i = 0; i < 3; i++) {
        OK(kvg_edge_add(e, f + tri[i][0], f + tri[i][1], "T", 1.0));
        OK(kvg_edge_add(e, f + tri[i][1], f + tri[i][0], "T", 1.0));
    }
    OK(kvg_edge_add(e, f + 2, f + 3, "P", 5.0));
    OK(kvg_edge_add(e, f + 3, f + 4, "P", 0.5));
    OK(kvg_edge_add(e, f + 6, f + 0, "P", 1.0));
    OK(kvg_node_remove(e, f + 6));
    return f;
}

static void test_snapshot_queries(void) {
    kvg_engine *e = open_engine();
    uint64_t f = build_small(e);
    CHECK(f == 0);
    kvg_snapshot *s = NULL;
    EXPECT(kvg_snapshot_open(e, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_open(NULL, &s), KVG_INVALID_ARGUMENT);
    OK(kvg_snapshot_open(e, &s));

    uint64_t n = 0, m = 0, ver = 0, tri = 0;
    OK(kvg_snapshot_node_count(s, &n));
    CHECK(n == 7);
    OK(kvg_snapshot_edge_count(s, &m));
    CHECK(m == 8);
    OK(kvg_snapshot_version(s, &ver));
    OK(kvg_snapshot_triangle_count(s, &tri));
    CHECK(tri == 1);
    EXPECT(kvg_snapshot_node_count(s, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_edge_count(s, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_version(s, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_triangle_count(s, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_triangle_count(NULL, &tri), KVG_INVALID_ARGUMENT);

    /* neighbors: directions, type filter, buffer sizing. */
    uint64_t buf[8];
    size_t len = 0;
    OK(kvg_snapshot_neighbors(s, 2, KVG_OUT, NULL, buf, 8, &len));
    CHECK(len == 3 && buf[0] == 0 && buf[1] == 1 && buf[2] == 3);
    OK(kvg_snapshot_neighbors(s, 2, KVG_OUT, "T", buf, 8, &len));
    CHECK(len == 2 && buf[0] == 0 && buf[1] == 1);
    OK(kvg_snapshot_neighbors(s, 3, KVG_IN, NULL, buf, 8, &len));
    CHECK(len == 1 && buf[0] == 2);
    OK(kvg_snapshot_neighbors(s, 3, KVG_BOTH, NULL, buf, 8, &len));
    CHECK(len == 2 && buf[0] == 2 && buf[1] == 4);
    OK(kvg_snapshot_neighbors(s, 0, KVG_IN, "P", buf, 8, &len)); /* the removed node's edge is gone */
    CHECK(len == 0);
    OK(kvg_snapshot_neighbors(s, 2, KVG_OUT, "NO_SUCH_TYPE", buf, 8, &len));
    CHECK(len == 0);
    OK(kvg_snapshot_neighbors(s, 5, KVG_BOTH, NULL, NULL, 0, &len));
    CHECK(len == 0);
    len = 99;
    EXPECT(kvg_snapshot_neighbors(s, 2, KVG_OUT, NULL, NULL, 0, &len), KVG_BUFFER_TOO_SMALL);
    CHECK(len == 3);
    EXPECT(kvg_snapshot_neighbors(s, 2, KVG_OUT, NULL, buf, 2, &len), KVG_BUFFER_TOO_SMALL);
    CHECK(len == 3);
    CHECK_ERROR_HAS("needs 3");
    EXPECT(kvg_snapshot_neighbors(s, 2, (kvg_direction)3, NULL, buf, 8, &len), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("direction 3");
    EXPECT(kvg_snapshot_neighbors(s, 2, (kvg_direction)-1, NULL, buf, 8, &len), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_neighbors(s, 2, KVG_OUT, "\xff", buf, 8, &len), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_neighbors(s, 2, KVG_OUT, NULL, buf, 8, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_neighbors(s, 2, KVG_OUT, NULL, NULL, 8, &len), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_neighbors(s, 6, KVG_OUT, NULL, buf, 8, &len), KVG_NOT_FOUND);
    EXPECT(kvg_snapshot_neighbors(s, 99, KVG_OUT, NULL, buf, 8, &len), KVG_NOT_FOUND);
    EXPECT(kvg_snapshot_neighbors(NULL, 2, KVG_OUT, NULL, buf, 8, &len), KVG_INVALID_ARGUMENT);

    /* k_hop. */
    OK(kvg_snapshot_k_hop(s, 2, 1, buf, 8, &len));
    CHECK(len == 3 && buf[0] == 0 && buf[1] == 1 && buf[2] == 3);
    OK(kvg_snapshot_k_hop(s, 3, 2, buf, 8, &len));
    CHECK(len == 1 && buf[0] == 4);
    OK(kvg_snapshot_k_hop(s, 0, 0, buf, 8, &len));
    CHECK(len == 0);
    EXPECT(kvg_snapshot_k_hop(s, 0, 5, buf, 1, &len), KVG_BUFFER_TOO_SMALL);
    CHECK(len == 4);
    EXPECT(kvg_snapshot_k_hop(s, 6, 1, buf, 8, &len), KVG_NOT_FOUND);
    EXPECT(kvg_snapshot_k_hop(s, 0, 1, buf, 8, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_k_hop(NULL, 0, 1, buf, 8, &len), KVG_INVALID_ARGUMENT);

    /* bfs. */
    int64_t depth[7];
    OK(kvg_snapshot_bfs(s, 0, depth, 7));
    CHECK(depth[0] == 0 && depth[1] == 1 && depth[2] == 1 && depth[3] == 2 && depth[4] == 3 &&
          depth[5] == -1 && depth[6] == -1);
    EXPECT(kvg_snapshot_bfs(s, 0, depth, 6), KVG_BUFFER_TOO_SMALL);
    CHECK_ERROR_HAS("needs 7");
    EXPECT(kvg_snapshot_bfs(s, 0, NULL, 0), KVG_BUFFER_TOO_SMALL);
    EXPECT(kvg_snapshot_bfs(s, 0, NULL, 7), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_bfs(s, 6, depth, 7), KVG_NOT_FOUND);
    EXPECT(kvg_snapshot_bfs(s, 7, depth, 7), KVG_NOT_FOUND);
    EXPECT(kvg_snapshot_bfs(NULL, 0, depth, 7), KVG_INVALID_ARGUMENT);
    int64_t big[16];
    OK(kvg_snapshot_bfs(s, 3, big, 16)); /* a bigger buffer is fine; the rest is untouched */
    CHECK(big[3] == 0 && big[4] == 1 && big[0] == -1);

    /* sssp. */
    double dist[7];
    OK(kvg_snapshot_sssp(s, 0, dist, 7));
    CHECK(dist[0] == 0.0 && dist[1] == 1.0 && dist[2] == 1.0 && dist[3] == 6.0 && dist[4] == 6.5);
    CHECK(isinf(dist[5]) && dist[5] > 0 && isinf(dist[6]));
    EXPECT(kvg_snapshot_sssp(s, 0, dist, 3), KVG_BUFFER_TOO_SMALL);
    EXPECT(kvg_snapshot_sssp(s, 6, dist, 7), KVG_NOT_FOUND);
    EXPECT(kvg_snapshot_sssp(s, 0, NULL, 7), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_sssp(NULL, 0, dist, 7), KVG_INVALID_ARGUMENT);

    /* pagerank. */
    double rank[7];
    OK(kvg_snapshot_pagerank(s, 0.85, 20, rank, 7));
    double sum = 0;
    for (int i = 0; i < 7; i++) sum += rank[i];
    CHECK(fabs(sum - 1.0) < 1e-9 && rank[6] == 0.0 && rank[4] > rank[5]);
    EXPECT(kvg_snapshot_pagerank(s, 1.5, 20, rank, 7), KVG_INVALID_ARGUMENT);
    CHECK_ERROR_HAS("damping");
    EXPECT(kvg_snapshot_pagerank(s, NAN, 20, rank, 7), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_pagerank(s, 0.85, 20, rank, 1), KVG_BUFFER_TOO_SMALL);
    EXPECT(kvg_snapshot_pagerank(s, 0.85, 20, NULL, 7), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_pagerank(NULL, 0.85, 20, rank, 7), KVG_INVALID_ARGUMENT);

    /* wcc: 0-4 in one component, 5 alone, 6 removed. */
    uint64_t comp[7];
    OK(kvg_snapshot_wcc(s, comp, 7));
    CHECK(comp[0] == 0 && comp[1] == 0 && comp[2] == 0 && comp[3] == 0 && comp[4] == 0);
    CHECK(comp[5] == 5 && comp[6] == KVG_NO_NODE && KVG_NO_NODE == UINT64_MAX);
    EXPECT(kvg_snapshot_wcc(s, comp, 0), KVG_BUFFER_TOO_SMALL);
    EXPECT(kvg_snapshot_wcc(s, NULL, 7), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_wcc(NULL, comp, 7), KVG_INVALID_ARGUMENT);

    /* cdlp. */
    uint64_t label[7];
    OK(kvg_snapshot_cdlp(s, 10, label, 7));
    CHECK(label[5] == 5 && label[6] == KVG_NO_NODE && label[0] == label[1] && label[1] == label[2]);
    EXPECT(kvg_snapshot_cdlp(s, 10, label, 6), KVG_BUFFER_TOO_SMALL);
    EXPECT(kvg_snapshot_cdlp(s, 10, NULL, 7), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_cdlp(NULL, 10, label, 7), KVG_INVALID_ARGUMENT);

    /* lcc: the triangle's corners 0 and 1 are fully clustered. */
    double lcc[7];
    OK(kvg_snapshot_lcc(s, lcc, 7));
    CHECK(lcc[0] == 1.0 && lcc[1] == 1.0 && lcc[2] > 0.0 && lcc[2] < 1.0 && lcc[5] == 0.0 && lcc[6] == 0.0);
    EXPECT(kvg_snapshot_lcc(s, lcc, 2), KVG_BUFFER_TOO_SMALL);
    EXPECT(kvg_snapshot_lcc(s, NULL, 7), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_lcc(NULL, lcc, 7), KVG_INVALID_ARGUMENT);

    /* Later writes stay out of this snapshot; a new one sees them. */
    uint64_t extra = 0;
    OK(kvg_node_add(e, NULL, &extra));
    OK(kvg_edge_add(e, 5, extra, NULL, 1.0));
    OK(kvg_graph_compact(e));
    OK(kvg_snapshot_node_count(s, &n));
    OK(kvg_snapshot_edge_count(s, &m));
    CHECK(n == 7 && m == 8);
    EXPECT(kvg_snapshot_neighbors(s, extra, KVG_OUT, NULL, buf, 8, &len), KVG_NOT_FOUND);
    kvg_snapshot *s2 = NULL;
    OK(kvg_snapshot_open(e, &s2));
    uint64_t ver2 = 0;
    OK(kvg_snapshot_version(s2, &ver2));
    OK(kvg_snapshot_node_count(s2, &n));
    OK(kvg_snapshot_edge_count(s2, &m));
    CHECK(ver2 > ver && n == 8 && m == 9);
    OK(kvg_snapshot_close(s2));

    OK(kvg_snapshot_close(s));
    OK(kvg_engine_close(e));
}

/* ------------------------------------------------------------------------ */
/* Threads */

#define THREADS 4
#define INCRS 500

typedef struct {
    kvg_engine *e;
    int index;
    int failures;
} worker;

static void *incr_worker(void *arg) {
    worker *w = arg;
    char own[32];
    snprintf(own, sizeof own, "own:%d", w->index);
    for (int i = 0; i < INCRS; i++) {
        int64_t n = 0;
        if (kvg_kv_incr(w->e, KEY("shared"), 1, &n) != KVG_OK || n < 1) w->failures++;
        if (kvg_kv_incr(w->e, KEY(own), 2, &n) != KVG_OK || n != 2 * (i + 1)) w->failures++;
    }
    /* This thread's last error is its own. */
    if (kvg_kv_delete(w->e, KEY("no such key")) != KVG_NOT_FOUND) w->failures++;
    if (strstr(last_error_or_none(), "key not found") == NULL) w->failures++;
    return NULL;
}

static void test_threads_kv_counters(void) {
    kvg_engine *e = open_engine();
    pthread_t t[THREADS];
    worker w[THREADS];
    EXPECT(kvg_kv_set(e, NULL, 2, NULL, 0), KVG_INVALID_ARGUMENT); /* main's own last error */
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){e, i, 0};
        CHECK(pthread_create(&t[i], NULL, incr_worker, &w[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK(w[i].failures == 0);
    }
    CHECK_ERROR_HAS("key is NULL"); /* untouched by the workers' failures */
    int64_t n = 0;
    OK(kvg_kv_incr(e, KEY("shared"), 0, &n));
    CHECK(n == THREADS * INCRS);
    uint64_t len = 0;
    OK(kvg_kv_len(e, &len));
    CHECK(len == THREADS + 1);
    OK(kvg_engine_close(e));
}

#define RING 200

/* Everything a snapshot answers, to compare two readings. */
typedef struct {
    uint64_t nodes, edges, triangles;
    int64_t bfs[RING];
    uint64_t wcc[RING];
    double pagerank[RING];
    uint64_t neighbors[RING];
    size_t neighbor_count;
    int status_failures;
} reading;

static void read_snapshot(const kvg_snapshot *s, reading *r) {
    memset(r, 0, sizeof *r);
    int bad = 0;
    bad += kvg_snapshot_node_count(s, &r->nodes) != KVG_OK;
    bad += kvg_snapshot_edge_count(s, &r->edges) != KVG_OK;
    bad += kvg_snapshot_triangle_count(s, &r->triangles) != KVG_OK;
    bad += kvg_snapshot_bfs(s, 0, r->bfs, RING) != KVG_OK;
    bad += kvg_snapshot_wcc(s, r->wcc, RING) != KVG_OK;
    bad += kvg_snapshot_pagerank(s, 0.85, 10, r->pagerank, RING) != KVG_OK;
    bad += kvg_snapshot_neighbors(s, 0, KVG_BOTH, NULL, r->neighbors, RING, &r->neighbor_count) != KVG_OK;
    r->status_failures = bad;
}

typedef struct {
    kvg_engine *e;
    const kvg_snapshot *s;
    int index;
    int failures;
    const reading *expected;
} graph_worker;

static void *graph_writer(void *arg) {
    graph_worker *w = arg;
    for (int i = 0; i < 150; i++) {
        uint64_t a = (uint64_t)(w->index * 37 + i * 7) % RING, b = (uint64_t)(i * 13 + 5) % RING;
        if (kvg_edge_add(w->e, a, b, "W", 1.0 + i) != KVG_OK) w->failures++;
        if (i % 3 == 0) {
            kvg_status st = kvg_edge_remove(w->e, (uint64_t)i % RING, (uint64_t)(i + 1) % RING, "R");
            if (st != KVG_OK && st != KVG_NOT_FOUND) w->failures++;
        }
        if (i % 25 == 0) {
            uint64_t id = 0;
            if (kvg_node_add(w->e, "New", &id) != KVG_OK) w->failures++;
            if (kvg_graph_compact(w->e) != KVG_OK) w->failures++;
        }
    }
    return NULL;
}

static void *graph_reader(void *arg) {
    graph_worker *w = arg;
    static reading r[THREADS]; /* too big for small thread stacks */
    for (int round = 0; round < 3; round++) {
        read_snapshot(w->s, &r[w->index]);
        if (memcmp(&r[w->index], w->expected, sizeof(reading)) != 0) w->failures++;
    }
    return NULL;
}

static void test_threads_snapshot_repeatable(void) {
    kvg_engine *e = open_engine();
    uint64_t first = 0;
    OK(kvg_nodes_add(e, RING, "R", &first));
    for (uint64_t i = 0; i < RING; i++) OK(kvg_edge_add(e, i, (i + 1) % RING, "R", 1.0));
    for (uint64_t i = 0; i < RING; i += 5) OK(kvg_edge_add(e, i, (i * 7 + 3) % RING, "X", 2.0));
    OK(kvg_graph_compact(e));
    for (uint64_t i = 0; i < RING; i += 11) OK(kvg_edge_add(e, i, (i * 3 + 1) % RING, "Y", 0.5));

    kvg_snapshot *s = NULL;
    OK(kvg_snapshot_open(e, &s));
    static reading before, during, after;
    read_snapshot(s, &before);
    CHECK(before.status_failures == 0 && before.nodes == RING);

    pthread_t writers[2], readers[2];
    graph_worker ww[2], rw[2];
    for (int i = 0; i < 2; i++) {
        ww[i] = (graph_worker){e, s, i, 0, &before};
        rw[i] = (graph_worker){e, s, i, 0, &before};
        CHECK(pthread_create(&writers[i], NULL, graph_writer, &ww[i]) == 0);
        CHECK(pthread_create(&readers[i], NULL, graph_reader, &rw[i]) == 0);
    }
    read_snapshot(s, &during);
    CHECK(memcmp(&before, &during, sizeof before) == 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(writers[i], NULL);
        pthread_join(readers[i], NULL);
        CHECK(ww[i].failures == 0);
        CHECK(rw[i].failures == 0);
    }
    read_snapshot(s, &after);
    CHECK(memcmp(&before, &after, sizeof before) == 0);

    /* A new snapshot sees the writers' work. */
    kvg_snapshot *s2 = NULL;
    OK(kvg_snapshot_open(e, &s2));
    uint64_t nodes = 0, edges = 0;
    OK(kvg_snapshot_node_count(s2, &nodes));
    OK(kvg_snapshot_edge_count(s2, &edges));
    CHECK(nodes == RING + 12 && edges > before.edges);
    OK(kvg_snapshot_close(s2));
    OK(kvg_snapshot_close(s));
    OK(kvg_engine_close(e));
}

/* Threads keep writing while another closes the engine: every call either
 * succeeds or reports the closed handle; none crashes. */
static void *close_race_worker(void *arg) {
    worker *w = arg;
    for (long i = 0;; i++) {
        kvg_status st = kvg_kv_incr(w->e, KEY("race"), 1, NULL);
        if (st == KVG_INVALID_ARGUMENT) break;
        if (st != KVG_OK || i > 10000000) {
            fprintf(stderr, "close race worker %d: status %d after %ld calls (%s)\n", w->index, (int)st, i,
                    last_error_or_none());
            w->failures++;
            break;
        }
    }
    if (strstr(last_error_or_none(), "closed") == NULL) {
        fprintf(stderr, "close race worker %d: last error \"%s\", not the closed handle\n", w->index,
                last_error_or_none());
        w->failures++;
    }
    return NULL;
}

static void test_threads_close_race(void) {
    kvg_engine *e = open_engine();
    pthread_t t[THREADS];
    worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker){e, i, 0};
        CHECK(pthread_create(&t[i], NULL, close_race_worker, &w[i]) == 0);
    }
    sleep_ms(20);
    OK(kvg_engine_close(e));
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK(w[i].failures == 0);
    }
}

int main(void) {
    test_status_and_version();
    test_bytes_and_config();
    test_handles();
    test_snapshot_outlives_engine();
    test_kv();
    test_batches();
    test_scans();
    test_graph_writes();
    test_snapshot_queries();
    test_threads_kv_counters();
    test_threads_snapshot_repeatable();
    test_threads_close_race();
    printf("test_kvgraph: %d checks passed, %d failed\n", checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}
