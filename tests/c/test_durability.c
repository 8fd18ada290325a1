/*
 * C tests of a durable engine (kvg_config.path / .fsync, kvg_engine_save,
 * kvg_engine_sync): data survives close and reopen, the directory is locked,
 * a damaged log is KVG_IO_ERROR naming the file and offset, KV write groups
 * (kvg_kv_group_open / kvg_kv_group_close) are logged whole and close only
 * on their thread.
 * Built and run by tests/c/run.sh. Exits non-zero if any check fails.
 */
#define _POSIX_C_SOURCE 200809L

#include "kvgraph.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (cond) {                                                                    \
            passed++;                                                                  \
        } else {                                                                       \
            failed++;                                                                  \
            fprintf(stderr, "%s:%d: CHECK(%s) failed (last error: %s)\n", __FILE__,    \
                    __LINE__, #cond, kvg_last_error() ? kvg_last_error() : "(none)"); \
        }                                                                              \
    } while (0)
#define OK(call) CHECK((call) == KVG_OK)
#define KEY(s) (const uint8_t *)(s), strlen(s)

static kvg_engine *open_at(const char *dir, kvg_fsync fsync, kvg_status expect) {
    kvg_config c;
    kvg_config_default(&c);
    c.path = dir;
    c.fsync = fsync;
    kvg_engine *e = NULL;
    CHECK(kvg_engine_open(&c, &e) == expect);
    CHECK((e != NULL) == (expect == KVG_OK));
    return e;
}

static int has_value(kvg_engine *e, const char *key, const char *value) {
    kvg_bytes b = {NULL, 0};
    if (kvg_kv_get(e, KEY(key), &b) != KVG_OK) return 0;
    int same = b.len == strlen(value) && memcmp(b.data, value, b.len) == 0;
    kvg_bytes_free(&b);
    return same;
}

/* A group and what closing it on another thread returned. */
struct close_elsewhere {
    kvg_kv_group *group;
    kvg_status status;
};

static void *close_on_other_thread(void *arg) {
    struct close_elsewhere *c = arg;
    c->status = kvg_kv_group_close(c->group);
    return NULL;
}

/* Writes in a group, nested groups, the thread rule, reopening sees all. */
static void write_groups(void) {
    char dir[] = "/tmp/kvgraph-c-group.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    kvg_engine *e = open_at(dir, KVG_FSYNC_ALWAYS, KVG_OK);
    kvg_kv_group *g = NULL;
    OK(kvg_kv_group_open(e, &g));
    CHECK(g != NULL);
    OK(kvg_kv_set(e, KEY("g1"), KEY("1")));
    CHECK(has_value(e, "g1", "1")); /* visible at once: not isolation */
    kvg_kv_group *inner = NULL;
    OK(kvg_kv_group_open(e, &inner)); /* nested: part of the outer group */
    OK(kvg_kv_incr(e, KEY("gn"), 2, NULL));
    OK(kvg_kv_group_close(inner));
    /* A save would wait for this thread's own group. */
    CHECK(kvg_engine_save(e) == KVG_INVALID_ARGUMENT);
    /* Another thread cannot close it; it stays open for this one. */
    struct close_elsewhere c = {g, KVG_OK};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, close_on_other_thread, &c) == 0);
    CHECK(pthread_join(t, NULL) == 0);
    CHECK(c.status == KVG_INVALID_ARGUMENT);
    OK(kvg_kv_set(e, KEY("g2"), KEY("2")));
    OK(kvg_kv_group_close(g));
    CHECK(kvg_kv_group_close(g) == KVG_INVALID_ARGUMENT); /* closed twice */
    OK(kvg_kv_group_close(NULL));
    CHECK(kvg_kv_group_close((kvg_kv_group *)e) == KVG_INVALID_ARGUMENT); /* wrong kind */
    CHECK(kvg_kv_group_open(NULL, &g) == KVG_INVALID_ARGUMENT && g == NULL);
    CHECK(kvg_kv_group_open(e, NULL) == KVG_INVALID_ARGUMENT);
    OK(kvg_engine_close(e));
    /* Reopening replays the group's one record: all of its writes. */
    e = open_at(dir, KVG_FSYNC_ALWAYS, KVG_OK);
    CHECK(has_value(e, "g1", "1") && has_value(e, "g2", "2") && has_value(e, "gn", "2"));
    OK(kvg_kv_group_open(e, &g)); /* after the group: saves work again */
    OK(kvg_kv_group_close(g));
    OK(kvg_engine_save(e));
    OK(kvg_engine_close(e));
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

int main(void) {
    kvg_config d;
    kvg_config_default(&d);
    CHECK(d.path == NULL && d.fsync == KVG_FSYNC_EVERYSEC);
    CHECK(strcmp(kvg_status_str(KVG_IO_ERROR), "i/o error") == 0);

    char dir[] = "/tmp/kvgraph-c-durable.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);

    /* Writes survive close and reopen, under every policy. */
    kvg_fsync policies[] = {KVG_FSYNC_ALWAYS, KVG_FSYNC_EVERYSEC, KVG_FSYNC_NEVER};
    for (int p = 0; p < 3; p++) {
        kvg_engine *e = open_at(dir, policies[p], KVG_OK);
        char key[16];
        snprintf(key, sizeof key, "k%d", p);
        OK(kvg_kv_set(e, KEY(key), KEY("v")));
        uint64_t id = 0;
        OK(kvg_node_add(e, "Person", &id));
        CHECK(id == (uint64_t)p);
        OK(kvg_node_set_property(e, id, "name", KEY("Ada")));
        if (p == 1) OK(kvg_engine_save(e));
        OK(kvg_engine_sync(e));
        /* A second engine on the same directory is refused. */
        open_at(dir, KVG_FSYNC_NEVER, KVG_IO_ERROR);
        CHECK(strstr(kvg_last_error(), "in use") != NULL);
        OK(kvg_engine_close(e));
        e = open_at(dir, policies[p], KVG_OK);
        for (int q = 0; q <= p; q++) {
            snprintf(key, sizeof key, "k%d", q);
            CHECK(has_value(e, key, "v"));
        }
        kvg_bytes name = {NULL, 0};
        OK(kvg_node_get_property(e, (uint64_t)p, "name", &name));
        CHECK(name.len == 3 && memcmp(name.data, "Ada", 3) == 0);
        kvg_bytes_free(&name);
        OK(kvg_engine_close(e));
    }

    /* Errors: bad fsync value, save without a path. */
    kvg_config bad;
    kvg_config_default(&bad);
    bad.path = dir;
    bad.fsync = (kvg_fsync)7;
    kvg_engine *e = NULL;
    CHECK(kvg_engine_open(&bad, &e) == KVG_INVALID_ARGUMENT && e == NULL);
    OK(kvg_engine_open(NULL, &e));
    CHECK(kvg_engine_save(e) == KVG_INVALID_ARGUMENT);
    OK(kvg_engine_close(e));
    CHECK(kvg_engine_save(NULL) == KVG_INVALID_ARGUMENT);

    /* A damaged log: KVG_IO_ERROR naming the file and the offset. */
    char fresh[] = "/tmp/kvgraph-c-damaged.XXXXXX";
    CHECK(mkdtemp(fresh) != NULL);
    e = open_at(fresh, KVG_FSYNC_ALWAYS, KVG_OK);
    OK(kvg_kv_set(e, KEY("a"), KEY("1")));
    OK(kvg_kv_set(e, KEY("b"), KEY("2")));
    OK(kvg_engine_close(e));
    char log[256];
    snprintf(log, sizeof log, "%s/log-0000000000000001.kvgl", fresh);
    FILE *f = fopen(log, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 16 + 8 + 2, SEEK_SET);
        fputc('X', f);
        fclose(f);
    }
    open_at(fresh, KVG_FSYNC_ALWAYS, KVG_IO_ERROR);
    CHECK(strstr(kvg_last_error(), "log-0000000000000001.kvgl") != NULL);
    CHECK(strstr(kvg_last_error(), "offset 16") != NULL);

    write_groups();

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", dir, fresh);
    CHECK(system(cmd) == 0);
    printf("%d checks passed, %d failed\n", passed, failed);
    return failed != 0;
}
