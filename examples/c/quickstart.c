/*
 * kvgraph quickstart in C: a key-value pair, then two people who are friends.
 *
 * Build against an installed kvgraph:
 *     cc quickstart.c $(pkg-config --cflags --libs kvgraph) -o quickstart
 * or against a checkout (after `cargo build --release`):
 *     cc -Iinclude examples/c/quickstart.c -Ltarget/release -lkvgraph \
 *        -Wl,-rpath,$PWD/target/release -o quickstart
 */
#include <kvgraph.h>

#include <stdio.h>
#include <string.h>

/* Prints the failure and jumps to cleanup. */
#define TRY(call)                                                                     \
    do {                                                                              \
        kvg_status st_ = (call);                                                      \
        if (st_ != KVG_OK) {                                                          \
            fprintf(stderr, "%s failed: %s (%s)\n", #call, kvg_status_str(st_),       \
                    kvg_last_error() ? kvg_last_error() : "");                        \
            goto done;                                                                \
        }                                                                             \
    } while (0)

int main(void) {
    int rc = 1;
    kvg_engine *db = NULL;
    kvg_snapshot *snap = NULL;
    kvg_bytes value = {NULL, 0}, name = {NULL, 0};

    TRY(kvg_engine_open(NULL, &db));
    printf("kvgraph %s\n", kvg_version());

    /* Key-value: set a key and read it back. */
    const char *key = "greeting", *text = "hello, world";
    TRY(kvg_kv_set(db, (const uint8_t *)key, strlen(key), (const uint8_t *)text, strlen(text)));
    TRY(kvg_kv_get(db, (const uint8_t *)key, strlen(key), &value));
    printf("%s = %.*s\n", key, (int)value.len, (const char *)value.data);

    /* Graph: two Person nodes with names, joined by a FRIEND edge. */
    uint64_t john = 0, jane = 0;
    TRY(kvg_node_add(db, "Person", &john));
    TRY(kvg_node_set_property(db, john, "name", (const uint8_t *)"John Doe", strlen("John Doe")));
    TRY(kvg_node_add(db, "Person", &jane));
    TRY(kvg_node_set_property(db, jane, "name", (const uint8_t *)"Jane Doe", strlen("Jane Doe")));
    TRY(kvg_edge_add(db, john, jane, "FRIEND", 1.0));

    /* Read it back through a snapshot: John's friends, with their names. */
    TRY(kvg_snapshot_open(db, &snap));
    uint64_t friends[16];
    size_t count = 0;
    TRY(kvg_snapshot_neighbors(snap, john, KVG_OUT, "FRIEND", friends, 16, &count));
    TRY(kvg_node_get_property(db, john, "name", &name));
    printf("friends of %.*s:\n", (int)name.len, (const char *)name.data);
    for (size_t i = 0; i < count; i++) {
        kvg_bytes_free(&name);
        TRY(kvg_node_get_property(db, friends[i], "name", &name));
        printf("  %.*s (node %llu)\n", (int)name.len, (const char *)name.data, (unsigned long long)friends[i]);
    }
    rc = count == 1 ? 0 : 1;

done:
    kvg_bytes_free(&value);
    kvg_bytes_free(&name);
    kvg_snapshot_close(snap);
    kvg_engine_close(db);
    return rc;
}
