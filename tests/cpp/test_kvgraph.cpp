// Tests of the header-only C++17 wrapper bindings/cpp/kvgraph.hpp.
// Built and run (under valgrind and the sanitizers) by tests/c/run.sh.
#include "kvgraph.hpp"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

static int passed = 0, failed = 0;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (cond) {                                                                   \
            passed++;                                                                 \
        } else {                                                                      \
            failed++;                                                                 \
            std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
        }                                                                             \
    } while (0)

// The statement throws kvgraph::Error with `status`.
#define CHECK_THROWS(stmt, st)                                                                  \
    do {                                                                                        \
        kvg_status got_ = KVG_OK;                                                               \
        try {                                                                                   \
            stmt;                                                                               \
        } catch (const kvgraph::Error &e_) {                                                    \
            got_ = e_.status();                                                                 \
            CHECK(std::strlen(e_.what()) > 0);                                                  \
        }                                                                                       \
        if (got_ == (st)) {                                                                     \
            passed++;                                                                           \
        } else {                                                                                \
            failed++;                                                                           \
            std::fprintf(stderr, "%s:%d: %s threw %s, expected %s\n", __FILE__, __LINE__, #stmt, \
                         kvg_status_str(got_), kvg_status_str(st));                             \
        }                                                                                       \
    } while (0)

static_assert(!std::is_copy_constructible_v<kvgraph::Engine>);
static_assert(!std::is_copy_assignable_v<kvgraph::Snapshot>);
static_assert(std::is_nothrow_move_constructible_v<kvgraph::Engine>);
static_assert(std::is_nothrow_move_assignable_v<kvgraph::KvIter>);

static void test_kv() {
    kvgraph::Engine db;
    auto kv = db.kv();
    kv.set("user:1", "Ada");
    CHECK(kv.get("user:1") == std::optional<std::string>("Ada"));
    CHECK(!kv.get("user:2").has_value());
    std::string binary("a\0b", 3);
    kv.set(binary, binary);
    CHECK(kv.get(binary) == binary);
    CHECK(kv.insert("once", "1"));
    CHECK(!kv.insert("once", "2"));

    CHECK(kv.get("once") == std::optional<std::string>("1"));
    CHECK(!kv.compare_and_swap("once", "2", "3"));
    CHECK(!kv.compare_and_swap("absent", "2", "3"));
    CHECK(kv.compare_and_swap("once", "1", "3"));
    CHECK(kv.incr("ctr") == 1);
    CHECK(kv.incr("ctr", 41) == 42);
    CHECK_THROWS(kv.incr("user:1"), KVG_INVALID_ARGUMENT);
    CHECK_THROWS(kv.set("t", "v", std::chrono::milliseconds(0)), KVG_INVALID_ARGUMENT);
    kv.set("t", "v", std::chrono::milliseconds(30));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(!kv.get("t"));
    CHECK(kv.erase("ctr"));
    CHECK(!kv.erase("ctr"));
    CHECK(kv.size() == 3);

    for (auto k : {"p:1", "p:2", "p:3", "q:1"}) kv.set(k, "x");
    std::vector<std::string> keys;
    for (const auto &[k, v] : kv.scan_prefix("p:")) {
        keys.push_back(k);
        CHECK(v == "x");
    }
    CHECK((keys == std::vector<std::string>{"p:1", "p:2", "p:3"}));
    auto range = kv.scan(std::string_view("p:2"), std::string_view("q:2")).collect();
    CHECK(range.size() == 3 && range[0].first == "p:2" && range[2].first == "q:1");
    CHECK(kv.scan().collect().size() == 7);
    CHECK(kv.scan(std::nullopt, std::string_view("b")).collect().size() == 1);  // "a\0b"

    // Iterators are RAII, move-only, and outlive their engine.
    kvgraph::KvIter it = kv.scan_prefix("p:");
    kvgraph::KvIter moved = std::move(it);
    CHECK(!it && moved);
    kvgraph::Engine other = std::move(db);
    CHECK(!db && other);
    other = kvgraph::Engine();  // closes the first engine
    auto first = moved.next();
    CHECK(first && first->first == "p:1");
    moved.close();
    CHECK(!moved);

    auto [retired, freed] = other.memory_stats();
    CHECK(freed <= retired);
    other.maintain();
    CHECK(kvgraph::version() == kvg_version());
}

static void test_kv_batches() {
    kvgraph::Engine db;
    auto kv = db.kv();
    kv.set_many({{"b:1", "one"}, {"b:2", ""}, {"b:1", "uno"}});
    auto got = kv.get_many({"b:1", "b:missing", "b:2"});
    CHECK(got.size() == 3 && got[0] == std::optional<std::string>("uno") && !got[1] && got[2] == std::string());
    CHECK(kv.get_many({}).empty());
    std::string value;
    CHECK(kv.get_into("b:1", value) && value == "uno");
    std::string long_value(1000, 'x');
    kv.set("long", long_value);
    CHECK(kv.get_into("long", value) && value == long_value);
    CHECK(!kv.get_into("b:missing", value) && value.empty());
    CHECK(kvgraph::no_value == SIZE_MAX);
}

static void test_graph() {
    kvgraph::Engine db(kvgraph::Engine::default_config());
    auto g = db.graph();
    std::uint64_t john = g.add_node("Person"), jane = g.add_node(std::string("Person"));
    std::uint64_t anon = g.add_node();
    g.set_property(john, "name", "John Doe");
    g.set_property(jane, std::string_view("name!").substr(0, 4), "Jane Doe");
    g.add_edge(john, jane, "FRIEND");
    g.add_edge(jane, anon, nullptr, 2.5);
    CHECK(g.get_property(john, "name") == std::optional<std::string>("John Doe"));
    CHECK(g.get_property(jane, "name") == std::optional<std::string>("Jane Doe"));
    CHECK(!g.get_property(anon, "name"));
    g.set_property_many({john, anon}, "nick", {"JD", "?"});
    auto nicks = g.get_property_many({john, jane, anon, 999}, "nick");
    CHECK(nicks.size() == 4 && nicks[0] == std::optional<std::string>("JD") && !nicks[1] && nicks[2] == std::string("?") &&
          !nicks[3]);
    CHECK_THROWS(g.set_property_many({jane, 999}, "nick", {"a", "b"}), KVG_NOT_FOUND);
    CHECK(!g.get_property(jane, "nick"));
    CHECK_THROWS(g.set_property_many({jane}, "nick", {}), KVG_INVALID_ARGUMENT);
    CHECK(g.node_label(john) == "Person" && g.node_label(anon).empty());
    CHECK_THROWS(g.add_edge(john, 999), KVG_NOT_FOUND);
    CHECK_THROWS(g.add_node("\xff"), KVG_INVALID_ARGUMENT);
    CHECK_THROWS(g.add_edge(john, jane, nullptr, NAN), KVG_INVALID_ARGUMENT);
    CHECK_THROWS(g.remove_edge(jane, john, "FRIEND"), KVG_NOT_FOUND);
    CHECK_THROWS(g.node_label(999), KVG_NOT_FOUND);

    std::uint64_t first = g.add_nodes(4, "Thing");
    g.load_edges({first, first + 1, first + 2}, {first + 1, first + 2, first}, {1.0, 2.0, 3.0}, "LINK");
    CHECK_THROWS(g.load_edges({first}, {}), KVG_INVALID_ARGUMENT);
    CHECK_THROWS(g.load_edges({first}, {999}), KVG_NOT_FOUND);
    g.compact();
    kvg_graph_stats st = g.stats();
    CHECK(st.nodes == 7 && st.edges == 5 && st.delta_edges == 0);

    kvgraph::Snapshot s = g.snapshot();
    CHECK(s.node_count() == 7 && s.edge_count() == 5);
    CHECK((s.neighbors(john) == std::vector<std::uint64_t>{jane}));
    CHECK((s.neighbors(jane, kvgraph::Direction::Both) == std::vector<std::uint64_t>{john, anon}));
    CHECK(s.neighbors(jane, kvgraph::Direction::In, "NOPE").empty());
    CHECK(s.neighbors(anon, kvgraph::Direction::Out).empty());
    CHECK_THROWS(s.neighbors(999), KVG_NOT_FOUND);
    CHECK_THROWS(s.neighbors(john, static_cast<kvgraph::Direction>(7)), KVG_INVALID_ARGUMENT);
    CHECK((s.k_hop(john, 2) == std::vector<std::uint64_t>{jane, anon}));
    auto depth = s.bfs(john);
    CHECK(depth.size() == 7 && depth[anon] == 2 && depth[first] == -1);
    auto dist = s.sssp(john);
    CHECK(dist[anon] == 3.5 && std::isinf(dist[first]));
    auto pr = s.pagerank();
    double sum = 0;
    for (double r : pr) sum += r;
    CHECK(std::fabs(sum - 1.0) < 1e-9);
    CHECK_THROWS(s.pagerank(2.0), KVG_INVALID_ARGUMENT);
    auto wcc = s.wcc();
    CHECK(wcc[john] == john && wcc[anon] == john && wcc[first + 3] == first + 3);
    CHECK(s.cdlp().size() == 7 && s.lcc().size() == 7);
    CHECK(s.triangle_count() == 1);
    std::uint64_t v1 = s.version();

    g.remove_node(anon);
    CHECK_THROWS(g.remove_node(anon), KVG_NOT_FOUND);
    kvgraph::Snapshot s2 = g.snapshot();
    CHECK(s2.version() > v1 && s2.wcc()[anon] == kvgraph::no_node && s.wcc()[anon] == john);
    s = std::move(s2);
    CHECK(!s2 && s.edge_count() == 4);
    try {
        s.bfs(anon);
        CHECK(false);
    } catch (const kvgraph::Error &e) {
        CHECK(e.status() == KVG_NOT_FOUND && std::string(e.status_name()) == "not found");
        CHECK(std::string(e.what()).find("no node") != std::string::npos);
    }
}

static void test_data_model() {
    using kvgraph::Value;
    kvgraph::Engine db;
    auto g = db.graph();
    std::uint64_t ada = g.add_node("Person"), bob = g.add_node("Person"), cy = g.add_node();
    // labels
    CHECK(g.add_label(ada, "Admin") && !g.add_label(ada, "Admin"));
    CHECK((g.labels(ada) == std::vector<std::string>{"Admin", "Person"}));
    CHECK(g.has_label(ada, "Admin") && !g.has_label(bob, "Admin"));
    CHECK(g.labels(cy).empty());
    CHECK_THROWS(g.add_label(999, "X"), KVG_NOT_FOUND);
    CHECK_THROWS(g.add_label(ada, ""), KVG_INVALID_ARGUMENT);

    g.add_edge(ada, bob, "KNOWS", 1.0); // the graph's first relationship: id 0
    CHECK_THROWS(g.set_rel_property(5, "p", Value(1)), KVG_NOT_FOUND);

    // typed values, every kind, nested
    kvgraph::Map nested{{"b", Value(1)}, {"a", Value(kvgraph::List{Value(true), Value(nullptr), Value(2.5)})}};
    std::vector<Value> values{Value(),
                              Value(false),
                              Value(std::int64_t(-42)),
                              Value(INT64_MIN),
                              Value(1.5),
                              Value("Zürich"),
                              Value(kvgraph::Bytes{std::string("\0\xff", 2)}),
                              Value(kvgraph::List{}),
                              Value(kvgraph::List{Value("x"), Value(kvgraph::Bytes{"y"}), Value(nested)}),
                              Value(nested)};
    for (const Value &v : values) {
        g.set_property_value(bob, "p", v);
        auto got = g.property_value(bob, "p");
        CHECK(v.is_null() ? !got : (got && *got == v));
        CHECK(kvgraph::decode(kvgraph::encode(v)) == v);
        g.set_rel_property(0, "p", v);
        auto rel = g.rel_property(0, "p");
        CHECK(v.is_null() ? !rel : (rel && *rel == v));
    }
    // the C library encodes exactly as the wrapper does
    for (const Value &v : {Value(std::int64_t(300)), Value(-0.25), Value("s"), Value(kvgraph::Bytes{"b"})}) {
        kvg_value c{};
        c.kind = static_cast<kvg_value_type>(v.variant().index());
        if (v.is<std::int64_t>()) c.integer = v.as<std::int64_t>();
        if (v.is<double>()) c.real = v.as<double>();
        std::string text = v.is<std::string>() ? v.as<std::string>() : v.is<kvgraph::Bytes>() ? v.as<kvgraph::Bytes>().data : "";
        c.data = reinterpret_cast<const std::uint8_t *>(text.data());
        c.len = text.size();
        kvg_bytes out{nullptr, 0};
        CHECK(kvg_value_encode(&c, &out) == KVG_OK);
        CHECK(std::string(reinterpret_cast<const char *>(out.data), out.len) == kvgraph::encode(v));
        kvg_bytes_free(&out);
    }
    CHECK_THROWS(kvgraph::decode(std::string("\x01\x07\x05", 3)), KVG_INVALID_ARGUMENT);
    CHECK_THROWS(kvgraph::decode("\x02"), KVG_INVALID_ARGUMENT);
    CHECK_THROWS(kvgraph::decode(std::string("\x01\x00\x00", 3)), KVG_INVALID_ARGUMENT);
    // bytes stay bytes for the byte-string calls; a string reads as its UTF-8
    g.set_property(ada, "name", "Ada");
    CHECK(g.property_value(ada, "name") == Value(kvgraph::Bytes{"Ada"}));
    g.set_property_value(ada, "name", Value("Ada"));
    CHECK(g.get_property(ada, "name") == std::optional<std::string>("Ada"));
    CHECK(g.remove_property(ada, "name") && !g.remove_property(ada, "name"));
    CHECK_THROWS(g.set_property_value(999, "x", Value(1)), KVG_NOT_FOUND);

    // indexes
    g.set_property_value(ada, "age", Value(36));
    g.set_property_value(bob, "age", Value(41.0));
    CHECK(g.create_index("Person", "age") && !g.create_index("Person", "age"));
    CHECK((g.indexes() == std::vector<std::pair<std::string, std::string>>{{"Person", "age"}}));
    {
        kvgraph::Snapshot s = g.snapshot();
        CHECK(g.remove_label(ada, "Admin") && !g.remove_label(ada, "Admin"));
        CHECK(s.has_label(ada, "Admin") && !g.has_label(ada, "Admin"));
        CHECK((s.labels(ada) == std::vector<std::string>{"Admin", "Person"}));
        CHECK((s.nodes_with_label("Person") == std::vector<std::uint64_t>{ada, bob}));
        CHECK(s.nodes_with_label("None").empty());
        CHECK((s.index_lookup("Person", "age", Value(36.0)) == std::vector<std::uint64_t>{ada}));
        CHECK((s.index_range("Person", "age", Value(30), true, Value(41), true) == std::vector<std::uint64_t>{ada, bob}));
        CHECK((s.index_range("Person", "age", std::nullopt, false, Value(41), false) == std::vector<std::uint64_t>{ada}));
        CHECK(s.property_value(ada, "age") == Value(36));
        CHECK(!s.property_value(cy, "age"));
        CHECK(s.rel_property(0, "p") == Value(nested));
        CHECK_THROWS(s.index_lookup("Person", "name", Value("x")), KVG_NOT_FOUND);
        CHECK_THROWS(s.labels(999), KVG_NOT_FOUND);
    }
    CHECK(g.drop_index("Person", "age") && !g.drop_index("Person", "age") && g.indexes().empty());
}

static void test_rels_batch() {
    using kvgraph::Value;
    kvgraph::Engine db;
    auto g = db.graph();
    std::uint64_t a = g.add_node(), b = g.add_node(), c = g.add_node();
    std::uint64_t r0 = g.create_relationship(a, b, "KNOWS", 2.5);
    std::uint64_t r1 = g.create_relationship(a, b, "KNOWS");
    CHECK(r0 != r1);
    auto rel = g.relationship(r0);
    CHECK(rel && rel->src == a && rel->dst == b && rel->type == "KNOWS" && rel->weight == 2.5);
    CHECK(!g.relationship(12345));
    g.set_rel_property(r0, "since", Value(2020));
    CHECK(g.remove_rel_property(r0, "since"));
    CHECK(!g.remove_rel_property(r0, "since"));
    {
        auto s = g.snapshot();
        CHECK(s.relationships(a) == std::vector<std::uint64_t>({r0, r1}));
        CHECK(s.relationships(b, kvgraph::Direction::In, "NONE").empty());
        g.remove_relationship(r1);
        CHECK(s.relationship(r1) && !g.relationship(r1));
    }
    CHECK_THROWS(g.remove_relationship(r1), KVG_NOT_FOUND);
    CHECK_THROWS(g.create_relationship(a, 999), KVG_NOT_FOUND);
    CHECK_THROWS(g.create_relationship(a, b, nullptr, std::nan("")), KVG_INVALID_ARGUMENT);

    std::uint64_t r2 = 0;
    {
        auto batch = g.batch();
        batch.add_edge(a, c, "A");
        r2 = batch.create_relationship(b, c, "B", 3.0);
        batch.set_rel_property(r2, "w", Value(5));
        CHECK(batch.add_label(c, "Person"));
        batch.set_property_value(c, "age", Value(42));
        CHECK_THROWS(batch.add_edge(a, 999), KVG_NOT_FOUND);  // records nothing
        CHECK(!g.relationship(r2));
        batch.commit();
        CHECK_THROWS(batch.commit(), KVG_INVALID_ARGUMENT);
    }
    CHECK(g.relationship(r2) && g.rel_property(r2, "w") == Value(5));
    CHECK(g.property_value(c, "age") == Value(42) && g.has_label(c, "Person"));
    {
        auto batch = g.batch();  // destroyed without a commit: aborted
        batch.remove_relationship(r2);
        CHECK(batch.remove_label(c, "Person"));
        CHECK(batch.remove_property(c, "age"));
        CHECK(batch.remove_rel_property(r2, "w"));
        batch.remove_edge(a, c, "A");
    }
    CHECK(g.relationship(r2) && g.property_value(c, "age") == Value(42));
    {
        auto batch = g.batch();
        batch.remove_edge(a, c, "A");
        g.remove_edge(a, c, "A");  // gone before the commit
        CHECK_THROWS(batch.commit(), KVG_NOT_FOUND);
        auto other = g.batch();
        other.abort();
    }
    {
        auto batch = g.batch();  // nodes appear and go with the batch
        std::uint64_t d = batch.add_node("City");
        batch.create_relationship(d, a, "IN");
        batch.remove_node(b);
        CHECK_THROWS(g.labels(d), KVG_NOT_FOUND);
        CHECK_THROWS(batch.remove_node(b), KVG_NOT_FOUND);
        batch.commit();
        CHECK(g.labels(d) == std::vector<std::string>({"City"}));
        CHECK_THROWS(g.labels(b), KVG_NOT_FOUND);
        CHECK(!g.relationship(r0) && !g.relationship(r2));
    }
}

static void test_query() {
    kvgraph::Engine db;
    kvgraph::Result r = db.query(
        "CREATE (p1:Person {name: 'John Doe'})-[r:FRIEND]->(p2:Person {name: 'Jane Doe'}) RETURN p1, r, p2");
    CHECK(r.row_count() == 1 && r.column_count() == 3);
    CHECK((r.columns() == std::vector<std::string>{"p1", "r", "p2"}));
    CHECK(r.cell_type(0, 0) == kvgraph::CellType::Node && r.cell_type(0, 1) == kvgraph::CellType::Relationship);
    std::uint64_t p1 = r.cell_id(0, 0);
    CHECK(db.graph().property_value(p1, "name") == kvgraph::Value("John Doe"));
    CHECK(r.cell_json(0, 2).find("\"Jane Doe\"") != std::string::npos);
    kvg_query_stats st = r.stats();
    CHECK(st.nodes_created == 2 && st.relationships_created == 1 && st.labels_added == 2 && st.properties_set == 2);
    CHECK(r.json().find("\"columns\"") != std::string::npos);
    CHECK_THROWS(r.value(0, 0), KVG_INVALID_ARGUMENT);

    kvgraph::Result q = db.query("MATCH (p:Person) WHERE p.name = $name RETURN p.name AS n, 1 AS i, 2.5 AS f, true AS b, null AS z",
                                 "{\"name\": \"Jane Doe\"}");
    CHECK(q.row_count() == 1);
    CHECK(q.value(0, 0) == kvgraph::Value("Jane Doe") && q.value(0, 1) == kvgraph::Value(1) &&
          q.value(0, 2) == kvgraph::Value(2.5) && q.value(0, 3) == kvgraph::Value(true) && q.value(0, 4).is_null());
    CHECK_THROWS(q.value(1, 0), KVG_INVALID_ARGUMENT);
    try {
        db.query("MATCH (n RETURN n");
        CHECK(false);
    } catch (const kvgraph::Error &e) {
        CHECK(e.status() == KVG_INVALID_ARGUMENT && std::string(e.what()).find("SyntaxError") == 0);
    }
    CHECK_THROWS(db.query("RETURN $missing"), KVG_INVALID_ARGUMENT);
    kvgraph::Result outlives = db.query("RETURN 'kept' AS s");
    db = kvgraph::Engine();
    CHECK(outlives.value(0, 0) == kvgraph::Value("kept"));
}

static void test_durability() {
    char dir[] = "/tmp/kvgraph-cpp-durable.XXXXXX";
    CHECK(mkdtemp(dir) != nullptr);
    std::uint64_t ada = 0;
    {
        kvgraph::Engine db(std::string(dir), kvgraph::Fsync::Always);
        db.kv().set("k", "v");
        ada = db.graph().add_node("Person");
        db.graph().set_property_value(ada, "age", kvgraph::Value(36));
        db.sync();
        db.save();
        CHECK_THROWS(kvgraph::Engine(std::string(dir)), KVG_IO_ERROR);  // locked by `db`
    }
    {
        kvgraph::Engine db{std::string(dir)};
        CHECK(db.kv().get("k") == std::optional<std::string>("v"));
        CHECK(db.graph().property_value(ada, "age") == kvgraph::Value(36));
        // Write groups: RAII and callable forms, nested, visible at once.
        std::int64_t n = db.kv().write_group([&] {
            db.kv().set("g1", "1");
            kvgraph::KvGroup inner = db.kv().write_group();
            CHECK(db.kv().get("g1") == std::optional<std::string>("1"));
            CHECK_THROWS(db.save(), KVG_INVALID_ARGUMENT);  // would wait for this thread's group
            inner.close();
            return db.kv().incr("gn", 2);
        });
        CHECK(n == 2);
        {
            kvgraph::KvGroup g = db.kv().write_group();
            db.kv().set("g2", "2");
        }  // closed here
        db.kv().write_group([&] { db.kv().set("g3", "3"); });
    }
    {
        kvgraph::Engine db{std::string(dir)};
        CHECK(db.kv().get("g1") == std::optional<std::string>("1"));
        CHECK(db.kv().get("g2") == std::optional<std::string>("2"));
        CHECK(db.kv().get("g3") == std::optional<std::string>("3"));
        CHECK(db.kv().get("gn") == std::optional<std::string>("2"));
        db.save();
    }
    kvgraph::Engine memory;
    CHECK_THROWS(memory.save(), KVG_INVALID_ARGUMENT);
    std::string rm = std::string("rm -rf '") + dir + "'";
    CHECK(std::system(rm.c_str()) == 0);
}

static void test_threads() {
    kvgraph::Engine db;
    auto kv = db.kv();
    auto g = db.graph();
    std::uint64_t first = g.add_nodes(100);
    for (std::uint64_t i = 0; i + 1 < 100; i++) g.add_edge(first + i, first + i + 1);
    kvgraph::Snapshot s = g.snapshot();
    auto expected = s.bfs(first);
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 300; i++) {
                kv.incr("n");
                g.add_edge(first + (std::uint64_t)((t * 31 + i) % 100), first + (std::uint64_t)(i % 100), "W");
                if (i % 100 == 0 && s.bfs(first) != expected) bad++;
            }
        });
    }
    for (auto &t : threads) t.join();
    CHECK(bad == 0);
    CHECK(kv.incr("n", 0) == 1200);
    CHECK(s.bfs(first) == expected);
}

int main() {
    try {
        test_kv();
        test_kv_batches();
        test_graph();
        test_data_model();
        test_rels_batch();
        test_query();
        test_durability();
        test_threads();
    } catch (const kvgraph::Error &e) {
        std::fprintf(stderr, "unexpected kvgraph::Error (%s): %s\n", e.status_name(), e.what());
        failed++;
    }
    std::printf("test_kvgraph_cpp: %d checks passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
