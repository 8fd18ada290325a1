/*
 * C tests of the data model calls of include/kvgraph.h: labels, typed
 * property values of nodes and relationships, snapshots reading them as of
 * their version, property indexes, and every error path of these calls.
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

static kvg_value text_value(const char *s) {
    kvg_value v;
    memset(&v, 0, sizeof v);
    v.kind = KVG_VALUE_STRING;
    v.data = (const uint8_t *)s;
    v.len = strlen(s);
    return v;
}

/* `b` holds exactly `len` bytes equal to `s`; frees it. */
static int take_eq(kvg_bytes *b, const char *s, size_t len) {
    int eq = b->len == len && (len == 0 || memcmp(b->data, s, len) == 0);
    kvg_bytes_free(b);
    return eq;
}

static void test_labels(void) {
    kvg_engine *e = NULL;
    OK(kvg_engine_open(NULL, &e));
    uint64_t a = 0, b = 0;
    OK(kvg_node_add(e, "Person", &a));
    OK(kvg_node_add(e, NULL, &b));
    bool changed = false, has = true;
    OK(kvg_node_add_label(e, a, "Admin", &changed));
    CHECK(changed);
    OK(kvg_node_add_label(e, a, "Person", &changed));
    CHECK(!changed);
    OK(kvg_node_add_label(e, b, "Admin", NULL));
    kvg_bytes labels = {NULL, 0};
    OK(kvg_node_labels(e, a, &labels));
    CHECK(take_eq(&labels, "Admin\0Person\0", 13));
    OK(kvg_node_labels(e, b, &labels));
    CHECK(take_eq(&labels, "Admin\0", 6));

    kvg_snapshot *before = NULL;
    OK(kvg_snapshot_open(e, &before));
    OK(kvg_node_remove_label(e, a, "Person", &changed));
    CHECK(changed);
    OK(kvg_node_remove_label(e, a, "Person", &changed));
    CHECK(!changed);
    OK(kvg_node_has_label(e, a, "Person", &has));
    CHECK(!has);

    uint64_t ids[4] = {0};
    size_t n = 0;
    OK(kvg_snapshot_nodes_with_label(before, "Admin", ids, 4, &n));
    CHECK(n == 2 && ids[0] == a && ids[1] == b);
    OK(kvg_snapshot_nodes_with_label(before, "Person", ids, 4, &n));
    CHECK(n == 1 && ids[0] == a);
    EXPECT(kvg_snapshot_nodes_with_label(before, "Admin", ids, 1, &n), KVG_BUFFER_TOO_SMALL);
    CHECK(n == 2);
    EXPECT(kvg_snapshot_nodes_with_label(before, "Admin", NULL, 0, &n), KVG_BUFFER_TOO_SMALL);
    CHECK(n == 2);
    OK(kvg_snapshot_node_labels(before, a, &labels));
    CHECK(take_eq(&labels, "Admin\0Person\0", 13));
    OK(kvg_snapshot_close(before));

    /* Error paths. */
    EXPECT(kvg_node_add_label(e, 12345, "X", NULL), KVG_NOT_FOUND);
    EXPECT(kvg_node_add_label(e, a, NULL, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_add_label(e, a, "", NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_add_label(e, a, "\xff", NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_add_label(NULL, a, "X", NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_has_label(e, a, "X", NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_labels(e, a, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_labels(e, 12345, &labels), KVG_NOT_FOUND);
    CHECK(labels.data == NULL && labels.len == 0);
    EXPECT(kvg_snapshot_nodes_with_label(NULL, "X", ids, 4, &n), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_nodes_with_label(before, "X", ids, 4, &n), KVG_INVALID_ARGUMENT); /* closed */
    OK(kvg_engine_close(e));
}

static void test_typed_properties(void) {
    kvg_engine *e = NULL;
    OK(kvg_engine_open(NULL, &e));
    uint64_t a = 0;
    OK(kvg_node_add(e, "Person", &a));
    kvg_value v = int_value(42), got;
    kvg_bytes data = {NULL, 0};
    OK(kvg_node_set_property_value(e, a, "age", &v));
    OK(kvg_node_get_property_value(e, a, "age", &got, &data));
    CHECK(got.kind == KVG_VALUE_INT && got.integer == 42 && data.data == NULL);

    kvg_snapshot *s = NULL;
    OK(kvg_snapshot_open(e, &s));
    v = text_value("Ada");
    OK(kvg_node_set_property_value(e, a, "age", &v));
    OK(kvg_node_get_property_value(e, a, "age", &got, &data));
    CHECK(got.kind == KVG_VALUE_STRING && got.len == 3 && memcmp(got.data, "Ada", 3) == 0);
    CHECK(got.data == data.data);
    kvg_bytes_free(&data);
    OK(kvg_snapshot_node_property_value(s, a, "age", &got, &data));
    CHECK(got.kind == KVG_VALUE_INT && got.integer == 42);

    memset(&v, 0, sizeof v);
    v.kind = KVG_VALUE_FLOAT;
    v.real = 2.5;
    OK(kvg_node_set_property_value(e, a, "f", &v));
    OK(kvg_node_get_property_value(e, a, "f", &got, &data));
    CHECK(got.kind == KVG_VALUE_FLOAT && got.real == 2.5);
    v.kind = KVG_VALUE_BOOL;
    v.boolean = true;
    OK(kvg_node_set_property_value(e, a, "b", &v));
    OK(kvg_node_get_property_value(e, a, "b", &got, &data));
    CHECK(got.kind == KVG_VALUE_BOOL && got.boolean);

    /* A list, through its encoding: [1, "x"]. */
    kvg_value item = int_value(1);
    kvg_bytes one = {NULL, 0}, x = {NULL, 0}, list = {NULL, 0};
    OK(kvg_value_encode(&item, &one));
    item = text_value("x");
    OK(kvg_value_encode(&item, &x));
    uint8_t buf[32];
    size_t len = 0;
    buf[len++] = one.data[0]; /* format version */
    buf[len++] = 7;           /* list tag */
    buf[len++] = 2;           /* two items */
    memcpy(buf + len, one.data + 1, one.len - 1);
    len += one.len - 1;
    memcpy(buf + len, x.data + 1, x.len - 1);
    len += x.len - 1;
    kvg_bytes_free(&one);
    kvg_bytes_free(&x);
    memset(&v, 0, sizeof v);
    v.kind = KVG_VALUE_LIST;
    v.data = buf;
    v.len = len;
    OK(kvg_node_set_property_value(e, a, "l", &v));
    OK(kvg_node_get_property_value(e, a, "l", &got, &list));
    CHECK(got.kind == KVG_VALUE_LIST && got.len == len && memcmp(got.data, buf, len) == 0);
    kvg_bytes_free(&list);
    v.kind = KVG_VALUE_MAP; /* the encoding holds a list */
    EXPECT(kvg_node_set_property_value(e, a, "l", &v), KVG_INVALID_ARGUMENT);
    v.kind = KVG_VALUE_LIST;
    v.len = len - 1; /* truncated */
    EXPECT(kvg_node_set_property_value(e, a, "l", &v), KVG_INVALID_ARGUMENT);

    /* The byte-string calls read and write bytes values. */
    OK(kvg_node_set_property(e, a, "raw", (const uint8_t *)"\0\1", 2));
    OK(kvg_node_get_property_value(e, a, "raw", &got, &data));
    CHECK(got.kind == KVG_VALUE_BYTES && got.len == 2 && got.data[1] == 1);
    kvg_bytes_free(&data);
    OK(kvg_node_get_property(e, a, "age", &data));
    CHECK(take_eq(&data, "Ada", 3));
    EXPECT(kvg_node_get_property(e, a, "f", &data), KVG_INVALID_ARGUMENT);

    /* Null removes; removing an unset property is NOT_FOUND. */
    memset(&v, 0, sizeof v);
    OK(kvg_node_set_property_value(e, a, "b", &v));
    EXPECT(kvg_node_get_property_value(e, a, "b", &got, &data), KVG_NOT_FOUND);
    CHECK(got.kind == KVG_VALUE_NULL && data.data == NULL);
    OK(kvg_node_remove_property(e, a, "f"));
    EXPECT(kvg_node_remove_property(e, a, "f"), KVG_NOT_FOUND);

    /* Relationship properties, by id: only of a relationship that exists. */
    v = int_value(7);
    EXPECT(kvg_rel_set_property_value(e, 5, "since", &v), KVG_NOT_FOUND);
    OK(kvg_edge_add(e, a, a, "R", 1.0)); /* the graph's first relationship: id 0 */
    OK(kvg_rel_set_property_value(e, 0, "since", &v));
    OK(kvg_rel_get_property_value(e, 0, "since", &got, &data));
    CHECK(got.kind == KVG_VALUE_INT && got.integer == 7);
    EXPECT(kvg_snapshot_rel_property_value(s, 0, "since", &got, &data), KVG_NOT_FOUND);
    OK(kvg_edge_remove(e, a, a, "R")); /* removing it removes its properties */
    EXPECT(kvg_rel_get_property_value(e, 0, "since", &got, &data), KVG_NOT_FOUND);
    OK(kvg_snapshot_close(s));

    /* Error paths. */
    v.kind = (kvg_value_type)99;
    EXPECT(kvg_node_set_property_value(e, a, "x", &v), KVG_INVALID_ARGUMENT);
    v = text_value("\xff");
    EXPECT(kvg_node_set_property_value(e, a, "x", &v), KVG_INVALID_ARGUMENT);
    memset(&v, 0, sizeof v);
    v.kind = KVG_VALUE_BYTES;
    v.len = 3; /* NULL data */
    EXPECT(kvg_node_set_property_value(e, a, "x", &v), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_set_property_value(e, a, "x", NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_set_property_value(e, a, NULL, &v), KVG_INVALID_ARGUMENT);
    v = int_value(1);
    EXPECT(kvg_node_set_property_value(e, 999, "x", &v), KVG_NOT_FOUND);
    EXPECT(kvg_node_get_property_value(e, a, "age", NULL, &data), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_node_get_property_value(e, a, "age", &got, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_value_encode(NULL, &data), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_value_encode(&v, NULL), KVG_INVALID_ARGUMENT);
    OK(kvg_engine_close(e));
}

static void test_indexes(void) {
    kvg_engine *e = NULL;
    OK(kvg_engine_open(NULL, &e));
    uint64_t first = 0;
    OK(kvg_nodes_add(e, 10, "Person", &first));
    for (uint64_t i = 0; i < 10; i++) {
        kvg_value v = int_value((int64_t)(i % 5));
        OK(kvg_node_set_property_value(e, first + i, "age", &v));
    }
    bool created = false;
    OK(kvg_index_create(e, "Person", "age", &created));
    CHECK(created);
    OK(kvg_index_create(e, "Person", "age", &created));
    CHECK(!created);
    kvg_bytes list = {NULL, 0};
    OK(kvg_index_list(e, &list));
    CHECK(take_eq(&list, "Person\0age\0", 11));

    kvg_snapshot *s = NULL;
    OK(kvg_snapshot_open(e, &s));
    uint64_t ids[10];
    size_t n = 0;
    kvg_value two = int_value(2), three = int_value(3);
    OK(kvg_snapshot_index_lookup(s, "Person", "age", &two, ids, 10, &n));
    CHECK(n == 2 && ids[0] == first + 2 && ids[1] == first + 7);
    kvg_value two_f;
    memset(&two_f, 0, sizeof two_f);
    two_f.kind = KVG_VALUE_FLOAT;
    two_f.real = 2.0;
    OK(kvg_snapshot_index_lookup(s, "Person", "age", &two_f, ids, 10, &n));
    CHECK(n == 2);
    OK(kvg_snapshot_index_range(s, "Person", "age", &two, true, &three, false, ids, 10, &n));
    CHECK(n == 2);
    OK(kvg_snapshot_index_range(s, "Person", "age", &two, false, NULL, false, ids, 10, &n));
    CHECK(n == 4 && ids[0] == first + 3);
    OK(kvg_snapshot_index_range(s, "Person", "age", NULL, false, NULL, false, ids, 10, &n));
    CHECK(n == 10);
    EXPECT(kvg_snapshot_index_range(s, "Person", "age", NULL, false, NULL, false, ids, 3, &n),
           KVG_BUFFER_TOO_SMALL);
    CHECK(n == 10);
    kvg_value nan = two_f;
    nan.real = NAN;
    OK(kvg_snapshot_index_lookup(s, "Person", "age", &nan, ids, 10, &n));
    CHECK(n == 0);

    /* Writes keep it consistent; the open snapshot keeps its answers. */
    OK(kvg_node_set_property_value(e, first + 2, "age", &three));
    kvg_snapshot *later = NULL;
    OK(kvg_snapshot_open(e, &later));
    OK(kvg_snapshot_index_lookup(later, "Person", "age", &two, ids, 10, &n));
    CHECK(n == 1 && ids[0] == first + 7);
    OK(kvg_snapshot_index_lookup(s, "Person", "age", &two, ids, 10, &n));
    CHECK(n == 2);

    /* Error paths. */
    EXPECT(kvg_snapshot_index_lookup(s, "Person", "name", &two, ids, 10, &n), KVG_NOT_FOUND);
    EXPECT(kvg_snapshot_index_lookup(s, "Person", "age", NULL, ids, 10, &n), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_index_lookup(s, NULL, "age", &two, ids, 10, &n), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_snapshot_index_lookup(s, "Person", "age", &two, NULL, 10, &n), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_index_create(e, "", "age", NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_index_create(e, "Person", NULL, NULL), KVG_INVALID_ARGUMENT);
    EXPECT(kvg_index_list(e, NULL), KVG_INVALID_ARGUMENT);

    bool dropped = false;
    OK(kvg_index_drop(e, "Person", "age", &dropped));
    CHECK(dropped);
    OK(kvg_index_drop(e, "Person", "age", &dropped));
    CHECK(!dropped);
    EXPECT(kvg_snapshot_index_lookup(later, "Person", "age", &two, ids, 10, &n), KVG_NOT_FOUND);
    OK(kvg_snapshot_close(s));
    OK(kvg_snapshot_close(later));
    OK(kvg_engine_close(e));
}

int main(void) {
    test_labels();
    test_typed_properties();
    test_indexes();
    printf("test_data_model: %d checks passed, %d failed\n", checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}
