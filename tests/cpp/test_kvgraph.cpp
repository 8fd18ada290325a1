// Tests of the header-only C++17 wrapper bindings/cpp/kvgraph.hpp.
// Built and run (under valgrind and the sanitizers) by tests/c/run.sh.
#include "kvgraph.hpp"

#include <atomic>
#include <cmath>
#include <cstdio>
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
        test_threads();
    } catch (const kvgraph::Error &e) {
        std::fprintf(stderr, "unexpected kvgraph::Error (%s): %s\n", e.status_name(), e.what());
        failed++;
    }
    std::printf("test_kvgraph_cpp: %d checks passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
