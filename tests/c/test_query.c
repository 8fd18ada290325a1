/*
 * C tests of the Cypher API of include/kvgraph.h: kvg_query and kvg_result_*
 * (the seed example, typed cells, JSON, statistics, parameters, errors).
 * Built and run (plain, valgrind, sanitizers) by tests/c/run.sh.
 */
#include "kvgraph.h"

#include <stdio.h>
#include <string.h>

static int passed, failed;

static const char *err(void) {
    const char *e = kvg_last_error();
    return e ? e : "(none)";
}

#define CHECK(cond)                                                                             \
    do {                                                                                        \
        if (cond) {                                                                             \
            passed++;                                                                           \
        } else {                                                                                \
            failed++;                                                                           \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (last error: %s)\n", __FILE__, __LINE__, \
                    #cond, err());                                                              \
        }                                                                                       \
    } while (0)

#define OK(call) CHECK((call) == KVG_OK)

/* `b` holds exactly `s`; frees it. */
static int take_eq(kvg_bytes *b, const char *s) {
    int eq = b->data != NULL && b->len == strlen(s) && memcmp(b->data, s, b->len) == 0;
    kvg_bytes_free(b);
    return eq;
}

/* `b` contains `needle`; frees it. */
static int take_has(kvg_bytes *b, const char *needle) {
    int has = b->data != NULL && strstr((const char *)b->data, needle) != NULL;
    kvg_bytes_free(b);
    return has;
}

static void test_seed(kvg_engine *e) {
    kvg_result *r = NULL;
    OK(kvg_query(e,
                 "CREATE (p1:Person {name: 'John Doe'})-[r:FRIEND]->(p2:Person {name: 'Jane Doe'}) "
                 "RETURN p1, r, p2",
                 NULL, &r));
    uint64_t n = 0;
    OK(kvg_result_column_count(r, &n));
    CHECK(n == 3);
    OK(kvg_result_row_count(r, &n));
    CHECK(n == 1);
    kvg_bytes b = {0};
    OK(kvg_result_column_name(r, 1, &b));
    CHECK(take_eq(&b, "r"));
    kvg_cell_type t;
    OK(kvg_result_cell_type(r, 0, 0, &t));
    CHECK(t == KVG_CELL_NODE);
    OK(kvg_result_cell_type(r, 0, 1, &t));
    CHECK(t == KVG_CELL_RELATIONSHIP);
    uint64_t id = 99;
    OK(kvg_result_cell_id(r, 0, 0, &id));
    CHECK(id == 0);
    OK(kvg_result_cell_json(r, 0, 2, &b));
    CHECK(take_eq(&b, "{\"id\":1,\"labels\":[\"Person\"],\"properties\":{\"name\":\"Jane Doe\"}}"));
    OK(kvg_result_json(r, &b));
    CHECK(take_has(&b, "\"type\":\"FRIEND\""));
    kvg_query_stats s;
    OK(kvg_result_stats(r, &s));
    CHECK(s.nodes_created == 2 && s.relationships_created == 1 && s.properties_set == 2 && s.labels_added == 2);
    /* Wrong type and out of range are errors, not crashes. */
    int64_t i = 0;
    CHECK(kvg_result_cell_int(r, 0, 0, &i) == KVG_INVALID_ARGUMENT);
    CHECK(strstr(err(), "node") != NULL);
    CHECK(kvg_result_cell_type(r, 5, 0, &t) == KVG_INVALID_ARGUMENT);
    CHECK(kvg_result_column_name(r, 3, &b) == KVG_INVALID_ARGUMENT);
    OK(kvg_result_close(r));
    CHECK(kvg_result_close(r) == KVG_INVALID_ARGUMENT);
    OK(kvg_result_close(NULL));
}

static void test_params_and_cells(kvg_engine *e) {
    kvg_result *r = NULL;
    OK(kvg_query(e, "MATCH (p:Person) WHERE p.name IN $names RETURN p.name AS name, size(p.name) AS n, "
                    "1.5 AS f, true AS b ORDER BY name",
                 "{\"names\": [\"Jane Doe\", \"Nobody\"]}", &r));
    uint64_t rows = 0;
    OK(kvg_result_row_count(r, &rows));
    CHECK(rows == 1);
    kvg_bytes b = {0};
    OK(kvg_result_cell_string(r, 0, 0, &b));
    CHECK(take_eq(&b, "Jane Doe"));
    int64_t n = 0;
    OK(kvg_result_cell_int(r, 0, 1, &n));
    CHECK(n == 8);
    double f = 0;
    OK(kvg_result_cell_float(r, 0, 2, &f));
    CHECK(f == 1.5);
    bool flag = false;
    OK(kvg_result_cell_bool(r, 0, 3, &flag));
    CHECK(flag);
    OK(kvg_result_close(r));
}

static void test_errors(kvg_engine *e) {
    kvg_result *r = (kvg_result *)1;
    CHECK(kvg_query(e, "MATCH (n RETURN n", NULL, &r) == KVG_INVALID_ARGUMENT);
    CHECK(r == NULL);
    CHECK(strstr(err(), "SyntaxError") != NULL && strstr(err(), "1:7") != NULL);
    CHECK(kvg_query(e, "RETURN $x", NULL, &r) == KVG_INVALID_ARGUMENT);
    CHECK(strstr(err(), "ParameterMissing") != NULL);
    CHECK(kvg_query(e, "RETURN 1", "[1, 2]", &r) == KVG_INVALID_ARGUMENT);
    CHECK(kvg_query(e, "RETURN 1", "{not json", &r) == KVG_INVALID_ARGUMENT);
    CHECK(kvg_query(e, NULL, NULL, &r) == KVG_INVALID_ARGUMENT);
    CHECK(kvg_query(NULL, "RETURN 1", NULL, &r) == KVG_INVALID_ARGUMENT);
    CHECK(kvg_query(e, "RETURN 1", NULL, NULL) == KVG_INVALID_ARGUMENT);
    CHECK(kvg_query(e, "FOREACH (x IN [1] | CREATE ())", NULL, &r) == KVG_INVALID_ARGUMENT);
    CHECK(strstr(err(), "FOREACH is not supported") != NULL);
}

static void test_timeout(void) {
    kvg_engine *e = NULL;
    kvg_result *r = NULL;
    OK(kvg_engine_open(NULL, &e));
    OK(kvg_query(e, "UNWIND range(1, 200) AS i CREATE (:N {i: i})", NULL, &r));
    OK(kvg_result_close(r));
    /* 200^3 rows: far past 50 ms; the write is rolled back. */
    const char *slow = "MATCH (a:N), (b:N), (c:N) SET a.seen = true";
    CHECK(kvg_query_with_timeout(e, slow, NULL, 50, &r) == KVG_INVALID_ARGUMENT);
    CHECK(r == NULL && strstr(err(), "TimeoutError: Query timed out after 50 ms") != NULL);
    OK(kvg_query_with_timeout(e, "MATCH (a:N) WHERE a.seen IS NULL RETURN count(a)", NULL, 60000, &r));
    int64_t c = 0;
    OK(kvg_result_cell_int(r, 0, 0, &c));
    CHECK(c == 200);
    OK(kvg_result_close(r));
    /* 0: no limit, as kvg_query. */
    OK(kvg_query_with_timeout(e, "RETURN 1", NULL, 0, &r));
    OK(kvg_result_close(r));
    OK(kvg_engine_close(e));
}

int main(void) {
    kvg_engine *e = NULL;
    OK(kvg_engine_open(NULL, &e));
    test_seed(e);
    test_params_and_cells(e);
    test_errors(e);
    test_timeout();
    /* A result outlives its engine. */
    kvg_result *r = NULL;
    OK(kvg_query(e, "MATCH (n) RETURN count(n) AS c", NULL, &r));
    OK(kvg_engine_close(e));
    int64_t c = 0;
    OK(kvg_result_cell_int(r, 0, 0, &c));
    CHECK(c == 2);
    OK(kvg_result_close(r));
    printf("test_query: %d checks passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
