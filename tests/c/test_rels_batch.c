/*
 * C tests of the relationship calls (kvg_rel_*, kvg_snapshot_relationships,
 * kvg_snapshot_rel_get) and the atomic write batches (kvg_batch_*) of
 * include/kvgraph.h, with their error paths: NULL and stale handles,
 * unknown ids, a failing commit, NaN weights, invalid UTF-8.
 *
 * Plain C99; built and run (under valgrind and the sanitizers) by
 * tests/c/run.sh. Exits non-zero if any check fails.
 */
#include "kvgraph.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int checks_passed;
static int checks_failed;

static const char *last_error_or_none(void) {
    const char *e = kvg_last_error();
    return e ? e : "(none)";
}

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

#define EXPECT(call, status)                                                                 \
    do {                                                                                     \
        kvg_status got_ = (call);                                                            \
        CHECK(got_ == (status));                                                             \
        if (got_ != (status))                                                                \
            fprintf(stderr, "  %s returned %s, expected %s\n", #call, kvg_status_str(got_), \
                    kvg_status_str(status));                                                 \
    } while (0)

#define OK(call) EXPECT(call, KVG_OK)

static kvg_value int_value(int64_t i) {
    kvg_value v;
    memset(&v, 0, sizeof v);
    v.kind = KVG_VALUE_INT;
    v.integer = i;
    return v;
}

/* Property `name` of node (rel = 0) or relationship (rel = 1) `id` as an
 * int, or -1 if it is unset. */
static int64_t int_prop(const kvg_engine *e, uint64_t id, const char *name, int rel) {
    kvg_value got;
    kvg_bytes data = {NULL, 0};
    kvg_status st = rel ? kvg_rel_get_property_value(e, id, name, &got, &data)
                        : kvg_node_get_property_value(e, id, name, &got, &data);
    kvg_bytes_free(&data);
    return st == KVG_OK && got.kind == KVG_VALUE_INT ? got.integer : -1;
}

/* Whether relationship `id` exists now with these ends, type and weight. */
static int rel_is(const kvg_engine *e, uint64_t id, uint64_t src, uint64_t dst, const char *type,
                  double weight) {
    kvg_rel r;
    if (kvg_rel_get(e, id, &r) != KVG_OK)
        return 0;
    int same = r.id == id && r.src == src && r.dst == dst && r.weight == weight &&
               r.rel_type.len == strlen(type) && strcmp((const char *)r.rel_type.data, type) == 0;
    kvg_bytes_free(&r.rel_type);
    return same;
}

static void test_relationships(void) {
    kvg_engine *e = NULL;
    OK(kvg_engine_open(NULL, &e));
    uint64_t first = 0;
    OK(kvg_nodes_add(e, 3, NULL, &first));
    uint64_t r0 = 0, r1 = 0, r2 = 0;
    OK(kvg_rel_create(e, 0, 1, "KNOWS", 2.5, &r0));
    OK(kvg_rel_create(e, 0, 1, "KNOWS", 1.0, &r1)); /* a second one between the same nodes */
    OK(kvg_rel_create(e, 2, 0, NULL, 1.0, &r2));
    CHECK(r0 != r1 && r1 != r2 && r0 != r2);
    CHECK(rel_is(e, r0, 0, 1, "KNOWS", 2.5));
    CHECK(rel_is(e, r2, 2, 0, "", 1.0));

    kvg_rel r;
    EXPECT(kvg_rel_get(e, 12345, &r), KVG_NOT_FOUND);
    CHECK(r.rel_type.data == NULL && r.rel_type.len == 0);
    EXPECT(kvg_rel_get(e, r0, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_rel_get(NULL, r0, &r), KVG_INVALID_ARGUMENT);

    kvg_snapshot *s = NULL;
    OK(kvg_snapshot_open(e, &s));
    uint64_t ids[8] = {0};
    size_t n = 0;
    OK(kvg_snapshot_relationships(s, 0, KVG_OUT, NULL, ids, 8, &n));
    CHECK(n == 2 && ids[0] == r0 && ids[1] == r1);
    OK(kvg_snapshot_relationships(s, 0, KVG_IN, NULL, ids, 8, &n));
    CHECK(n == 1 && ids[0] == r2);
    OK(kvg_snapshot_relationships(s, 0, KVG_BOTH, "KNOWS", ids, 8, &n));
    CHECK(n == 2);
    EXPECT(kvg_snapshot_relationships(s, 0, KVG_BOTH, NULL, NULL, 0, &n), KVG_BUFFER_TOO_SMALL);
    CHECK(n == 3);
    EXPECT(kvg_snapshot_relationships(s, 0, KVG_OUT, NULL, ids, 1, &n), KVG_BUFFER_TOO_SMALL);
    CHECK(n == 2);
    EXPECT(kvg_snapshot_relationships(s, 12345, KVG_OUT, NULL, ids, 8, &n), KVG_NOT_FOUND);
    EXPECT(kvg_snapshot_relationships(s, 0, (kvg_direction)9, NULL, ids, 8, &n), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_relationships(s, 0, KVG_OUT, "\xff", ids, 8, &n), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_relationships(s, 0, KVG_OUT, NULL, ids, 8, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_relationships(NULL, 0, KVG_OUT, NULL, ids, 8, &n), KVG_INVALID_ARGUMENT);

    /* Properties, removal (with the properties), and the snapshot's view. */
    kvg_value v = int_value(2020);
    OK(kvg_rel_set_property_value(e, r1, "since", &v));
    CHECK(int_prop(e, r1, "since", 1) == 2020);
    kvg_value map;
    kvg_bytes map_data = {NULL, 0};
    OK(kvg_rel_properties(e, r1, &map, &map_data));
    CHECK(map.kind == KVG_VALUE_MAP && map.len > 0 && map.data == map_data.data);
    kvg_bytes_free(&map_data);
    OK(kvg_rel_properties(e, r2, &map, &map_data)); /* none: an empty map */
    CHECK(map.kind == KVG_VALUE_MAP);
    kvg_bytes_free(&map_data);
    EXPECT(kvg_rel_properties(e, 12345, &map, &map_data), KVG_NOT_FOUND);
    CHECK(map_data.data == NULL);
    EXPECT(kvg_rel_properties(e, r1, NULL, &map_data), KVG_INVALID_ARGUMENT);
    OK(kvg_rel_remove_property(e, r1, "since"));
    EXPECT(kvg_rel_remove_property(e, r1, "since"), KVG_NOT_FOUND);
    EXPECT(kvg_rel_remove_property(e, r1, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_rel_remove_property(e, r1, "\xff"), KVG_INVALID_ARGUMENT);
    OK(kvg_rel_set_property_value(e, r1, "since", &v));
    OK(kvg_rel_remove(e, r1));
    EXPECT(kvg_rel_remove(e, r1), KVG_NOT_FOUND);
    EXPECT(kvg_rel_remove(e, 12345), KVG_NOT_FOUND);
    EXPECT(kvg_rel_remove(NULL, r0), KVG_INVALID_ARGUMENT);
    CHECK(int_prop(e, r1, "since", 1) == -1);
    CHECK(!rel_is(e, r1, 0, 1, "KNOWS", 1.0));
    OK(kvg_snapshot_rel_get(s, r1, &r));
    CHECK(r.id == r1 && r.src == 0 && r.dst == 1 && r.weight == 1.0);
    kvg_bytes_free(&r.rel_type);
    EXPECT(kvg_snapshot_rel_get(s, 12345, &r), KVG_NOT_FOUND);
    OK(kvg_snapshot_close(s));
    EXPECT(kvg_snapshot_rel_get(s, r0, &r), KVG_INVALID_ARGUMENT); /* closed */

    /* Bad input. */
    uint64_t id = 0;
    EXPECT(kvg_rel_create(e, 0, 12345, NULL, 1.0, &id), KVG_NOT_FOUND);
    EXPECT(kvg_rel_create(e, 12345, 0, NULL, 1.0, &id), KVG_NOT_FOUND);
    EXPECT(kvg_rel_create(e, 0, 1, NULL, NAN, &id), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_rel_create(e, 0, 1, "\xff\xfe", 1.0, &id), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_rel_create(e, 0, 1, NULL, 1.0, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_rel_create(NULL, 0, 1, NULL, 1.0, &id), KVG_INVALID_ARGUMENT);
    kvg_graph_stats stats;
    OK(kvg_graph_get_stats(e, &stats));
    CHECK(stats.edges == 2);
    OK(kvg_engine_close(e));
    EXPECT(kvg_rel_create(e, 0, 1, NULL, 1.0, &id), KVG_INVALID_ARGUMENT); /* closed */
}

static void test_batches(void) {
    kvg_engine *e = NULL;
    OK(kvg_engine_open(NULL, &e));
    uint64_t first = 0;
    OK(kvg_nodes_add(e, 3, NULL, &first));

    kvg_batch *b = NULL;
    OK(kvg_batch_open(e, &b));
    OK(kvg_batch_add_edge(b, 0, 1, "A", 1.0));
    uint64_t r = 0;
    OK(kvg_batch_create_rel(b, 1, 2, "B", 3.0, &r));
    kvg_value v = int_value(5);
    OK(kvg_batch_set_rel_property(b, r, "w", &v));
    bool changed = false;
    OK(kvg_batch_add_label(b, 2, "Person", &changed));
    CHECK(changed);
    OK(kvg_batch_set_property(b, 2, "age", &v));
    /* Invisible until the commit; a single write to a key it writes conflicts. */
    CHECK(!rel_is(e, r, 1, 2, "B", 3.0));
    CHECK(int_prop(e, 2, "age", 0) == -1);
    EXPECT(kvg_node_set_property_value(e, 2, "age", &v), KVG_CONFLICT);
    /* Failing calls record nothing; the batch stays usable. */
    EXPECT(kvg_batch_add_edge(b, 0, 12345, NULL, 1.0), KVG_NOT_FOUND);
    EXPECT(kvg_batch_add_edge(b, 0, 1, NULL, NAN), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_create_rel(b, 0, 1, NULL, NAN, &r), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_create_rel(b, 0, 1, "\xff", 1.0, &r), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_create_rel(b, 0, 1, NULL, 1.0, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_set_rel_property(b, 12345, "w", &v), KVG_NOT_FOUND);
    EXPECT(kvg_batch_set_property(b, 12345, "w", &v), KVG_NOT_FOUND);
    EXPECT(kvg_batch_set_property(b, 2, "age", NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_set_property(b, 2, NULL, &v), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_add_label(b, 2, "\xff", NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_add_label(b, 12345, "L", NULL), KVG_NOT_FOUND);
    EXPECT(kvg_batch_remove_rel(b, 12345), KVG_NOT_FOUND);
    OK(kvg_batch_commit(b));
    CHECK(rel_is(e, r, 1, 2, "B", 3.0));
    CHECK(int_prop(e, r, "w", 1) == 5);
    CHECK(int_prop(e, 2, "age", 0) == 5);
    bool has = false;
    OK(kvg_node_has_label(e, 2, "Person", &has));
    CHECK(has);
    /* The handle is released: every later use is refused. */
    EXPECT(kvg_batch_commit(b), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_abort(b), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_add_edge(b, 0, 1, NULL, 1.0), KVG_INVALID_ARGUMENT);

    /* Removals, then an abort: nothing changes. */
    OK(kvg_batch_open(e, &b));
    OK(kvg_batch_remove_rel(b, r));
    OK(kvg_batch_remove_label(b, 2, "Person", &changed));
    CHECK(changed);
    OK(kvg_batch_remove_property(b, 2, "age", &changed));
    CHECK(changed);
    OK(kvg_batch_remove_rel_property(b, r, "w", NULL));
    OK(kvg_batch_remove_edge(b, 0, 1, "A"));
    OK(kvg_batch_abort(b));
    CHECK(rel_is(e, r, 1, 2, "B", 3.0));
    CHECK(int_prop(e, 2, "age", 0) == 5);
    OK(kvg_batch_abort(NULL));

    /* The same removals committed. */
    OK(kvg_batch_open(e, &b));
    OK(kvg_batch_remove_rel(b, r));
    OK(kvg_batch_remove_property(b, 2, "age", NULL));
    OK(kvg_batch_commit(b));
    CHECK(!rel_is(e, r, 1, 2, "B", 3.0));
    CHECK(int_prop(e, 2, "age", 0) == -1);

    /* A commit that fails writes nothing and still releases the handle. */
    uint64_t r2 = 0;
    OK(kvg_batch_open(e, &b));
    OK(kvg_batch_create_rel(b, 0, 2, NULL, 1.0, &r2));
    OK(kvg_batch_remove_edge(b, 0, 1, "A"));
    OK(kvg_edge_remove(e, 0, 1, "A")); /* gone before the commit */
    EXPECT(kvg_batch_commit(b), KVG_NOT_FOUND);
    CHECK(kvg_last_error() != NULL);
    CHECK(!rel_is(e, r2, 0, 2, "", 1.0));
    EXPECT(kvg_batch_commit(b), KVG_INVALID_ARGUMENT); /* commit after the failure */

    /* Nodes created and removed in a batch appear and go with it. */
    uint64_t n = 0, r3 = 0;
    kvg_bytes label = {NULL, 0};
    OK(kvg_batch_open(e, &b));
    OK(kvg_batch_add_node(b, "City", &n));
    OK(kvg_batch_add_label(b, n, "Capital", &changed));
    CHECK(changed);
    OK(kvg_batch_set_property(b, n, "age", &v));
    OK(kvg_batch_create_rel(b, n, 0, "IN", 1.0, &r3));
    OK(kvg_batch_remove_node(b, 1));
    EXPECT(kvg_node_label(e, n, &label), KVG_NOT_FOUND); /* nobody else sees it yet */
    EXPECT(kvg_batch_add_node(b, "\xff", &n), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_add_node(b, NULL, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_remove_node(b, 12345), KVG_NOT_FOUND);
    EXPECT(kvg_batch_remove_node(b, 1), KVG_NOT_FOUND); /* removed by the batch already */
    OK(kvg_batch_commit(b));
    OK(kvg_node_label(e, n, &label));
    /* A node's label is the one it was created with while it has it. */
    CHECK(label.len == 4 && memcmp(label.data, "City", 4) == 0);
    kvg_bytes_free(&label);
    CHECK(int_prop(e, n, "age", 0) == 5);
    CHECK(rel_is(e, r3, n, 0, "IN", 1.0));
    EXPECT(kvg_node_label(e, 1, &label), KVG_NOT_FOUND);
    /* An aborted batch's node never appears. */
    uint64_t never = 0;
    OK(kvg_batch_open(e, &b));
    OK(kvg_batch_add_node(b, NULL, &never));
    OK(kvg_batch_abort(b));
    EXPECT(kvg_node_label(e, never, &label), KVG_NOT_FOUND);

    /* Bad handles. */
    b = (kvg_batch *)1;
    EXPECT(kvg_batch_open(NULL, &b), KVG_INVALID_ARGUMENT);
    CHECK(b == NULL);
    EXPECT(kvg_batch_open(e, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_commit(NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_add_edge(NULL, 0, 1, NULL, 1.0), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_set_property(NULL, 0, "x", &v), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_batch_commit((kvg_batch *)e), KVG_INVALID_ARGUMENT); /* wrong kind */

    /* A batch outlives the engine handle it came from. */
    OK(kvg_batch_open(e, &b));
    OK(kvg_engine_close(e));
    OK(kvg_batch_add_edge(b, 0, 2, NULL, 1.0));
    OK(kvg_batch_commit(b));

    /* A batch left open is released by kvg_batch_abort (valgrind checks). */
    OK(kvg_engine_open(NULL, &e));
    OK(kvg_nodes_add(e, 2, NULL, &first));
    OK(kvg_batch_open(e, &b));
    OK(kvg_batch_create_rel(b, 0, 1, "T", 1.0, &r));
    OK(kvg_batch_set_rel_property(b, r, "w", &v));
    OK(kvg_engine_close(e));
    OK(kvg_batch_abort(b));
}

int main(void) {
    test_relationships();
    test_batches();
    printf("test_rels_batch: %d checks passed, %d failed\n", checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}
