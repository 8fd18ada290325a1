// kvgraph.hpp — header-only C++17 wrapper over the kvgraph C API (kvgraph.h).
//
//     kvgraph::Engine db;
//     db.kv().set("user:1", "Ada");
//     std::optional<std::string> v = db.kv().get("user:1");
//     auto a = db.graph().add_node("Person"), b = db.graph().add_node("Person");
//     db.graph().add_edge(a, b, "FRIEND");
//     kvgraph::Snapshot s = db.graph().snapshot();
//     std::vector<uint64_t> friends = s.neighbors(a, kvgraph::Direction::Out, "FRIEND");
//
// - Engine, Snapshot and KvIter own their C handle (RAII) and are move-only.
//   A snapshot or iterator may outlive its engine.
// - Kv and Graph (from Engine::kv() / Engine::graph()) are cheap non-owning
//   views: do not use them after their Engine is destroyed or moved from.
// - Byte strings are std::string_view in and std::string out; names (labels,
//   types, property names) are Name: a C string, std::string, std::string_view
//   or nullptr (no label / any type).
// - Failures throw kvgraph::Error, carrying the kvg_status and the message of
//   kvg_last_error(). Lookups of absent keys return std::nullopt / false
//   instead, as documented per method.
// - Thread safety is that of the C API: an Engine and a Snapshot may be used
//   from many threads at once.
//
// Link with -lkvgraph (pkg-config --cflags --libs kvgraph).
#ifndef KVGRAPH_HPP
#define KVGRAPH_HPP

#include "kvgraph.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kvgraph {

/// A failed call: the C status and the library's message.
class Error : public std::runtime_error {
  public:
    Error(kvg_status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}

    /// The kvg_status the C call returned.
    kvg_status status() const noexcept { return status_; }

    /// The status's name ("not found", …).
    const char *status_name() const noexcept { return kvg_status_str(status_); }

  private:
    kvg_status status_;
};

/// Which edges of a node to follow.
enum class Direction : int { Out = KVG_OUT, In = KVG_IN, Both = KVG_BOTH };

/// Value of wcc()/cdlp() slots for ids that are not nodes of the snapshot.
inline constexpr std::uint64_t no_node = KVG_NO_NODE;

/// Length of a batch-read item without a value (the C API's out_lens).
inline constexpr std::size_t no_value = KVG_NO_VALUE;

/// A name argument: a NUL-terminated string or nullptr. Bind it only to
/// function parameters (it may point into a temporary).
class Name {
  public:
    Name(std::nullptr_t) noexcept {}
    Name(const char *s) noexcept : ptr_(s) {}
    Name(const std::string &s) noexcept : ptr_(s.c_str()) {}
    Name(std::string_view s) : owned_(s), ptr_(owned_.c_str()) {}
    Name(const Name &) = delete;
    Name &operator=(const Name &) = delete;

    const char *c_str() const noexcept { return ptr_; }

  private:
    std::string owned_;
    const char *ptr_ = nullptr;
};

namespace detail {

/// Throws Error unless `status` is KVG_OK.
inline void check(kvg_status status) {
    if (status != KVG_OK) {
        const char *message = kvg_last_error();
        throw Error(status, message ? message : kvg_status_str(status));
    }
}

/// Like check(), but returns false instead of throwing for `soft`.
inline bool check_unless(kvg_status status, kvg_status soft) {
    if (status == soft) return false;
    check(status);
    return true;
}

inline const std::uint8_t *data(std::string_view s) noexcept {
    return reinterpret_cast<const std::uint8_t *>(s.data());
}

/// Owns a kvg_bytes filled by a C call.
class Bytes {
  public:
    Bytes() = default;
    Bytes(const Bytes &) = delete;
    Bytes &operator=(const Bytes &) = delete;
    ~Bytes() { kvg_bytes_free(&b_); }

    kvg_bytes *out() noexcept { return &b_; }
    std::string str() const { return std::string(view()); }
    std::string_view view() const noexcept {
        return b_.data ? std::string_view(reinterpret_cast<const char *>(b_.data), b_.len) : std::string_view();
    }

  private:
    kvg_bytes b_{nullptr, 0};
};

/// A batch of byte strings packed back to back, the layout of the batch calls.
struct Packed {
    std::string bytes;
    std::vector<std::size_t> lens;

    void push(std::string_view item) {
        bytes.append(item);
        lens.push_back(item.size());
    }
    const std::uint8_t *data() const noexcept { return detail::data(bytes); }
};

/// Splits the output of a batch read: values packed in `values`, one length
/// per item in `lens` (KVG_NO_VALUE: no value).
inline std::vector<std::optional<std::string>> unpack(const Bytes &values, const std::vector<std::size_t> &lens) {
    std::vector<std::optional<std::string>> items;
    items.reserve(lens.size());
    std::string_view packed = values.view();
    std::size_t at = 0;
    for (std::size_t len : lens) {
        if (len == KVG_NO_VALUE) {
            items.emplace_back(std::nullopt);
        } else {
            items.emplace_back(std::string(packed.substr(at, len)));
            at += len;
        }
    }
    return items;
}

/// Owns one C handle; move-only base of Engine, Snapshot and KvIter.
template <typename T, kvg_status (*Close)(T *)>
class Handle {
  public:
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    Handle(Handle &&other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    Handle &operator=(Handle &&other) noexcept {
        if (this != &other) {
            reset();
            h_ = std::exchange(other.h_, nullptr);
        }
        return *this;
    }
    ~Handle() { reset(); }

    /// The C handle (still owned by this object), or nullptr once moved from.
    T *get() const noexcept { return h_; }
    explicit operator bool() const noexcept { return h_ != nullptr; }

    /// Closes the handle now (the destructor then does nothing).
    void close() { check(Close(std::exchange(h_, nullptr))); }

  protected:
    explicit Handle(T *h) noexcept : h_(h) {}

  private:
    void reset() noexcept { (void)Close(std::exchange(h_, nullptr)); }
    T *h_;
};

}  // namespace detail

/// A forward iterator over KV entries in key order (from Kv::scan /
/// Kv::scan_prefix). Usable in a range-for loop, once.
class KvIter : public detail::Handle<kvg_kv_iter, kvg_kv_iter_close> {
  public:
    using Entry = std::pair<std::string, std::string>;

    explicit KvIter(kvg_kv_iter *it) noexcept : Handle(it) {}

    /// The next entry, or std::nullopt at the end.
    std::optional<Entry> next() {
        detail::Bytes key, value;
        if (!detail::check_unless(kvg_kv_iter_next(get(), key.out(), value.out()), KVG_NOT_FOUND)) {
            return std::nullopt;
        }
        return Entry(key.str(), value.str());
    }

    /// Single-pass input iterator for range-for.
    class iterator {
      public:
        using iterator_category = std::input_iterator_tag;
        using value_type = Entry;
        using difference_type = std::ptrdiff_t;
        using pointer = const Entry *;
        using reference = const Entry &;

        iterator() = default;
        explicit iterator(KvIter *owner) : owner_(owner) { ++*this; }
        reference operator*() const { return *current_; }
        pointer operator->() const { return &*current_; }
        iterator &operator++() {
            current_ = owner_->next();
            if (!current_) owner_ = nullptr;
            return *this;
        }
        bool operator==(const iterator &o) const noexcept { return owner_ == o.owner_; }
        bool operator!=(const iterator &o) const noexcept { return owner_ != o.owner_; }

      private:
        KvIter *owner_ = nullptr;
        std::optional<Entry> current_;
    };

    iterator begin() { return iterator(this); }
    iterator end() { return iterator(); }

    /// All remaining entries.
    std::vector<Entry> collect() {
        std::vector<Entry> out;
        while (auto e = next()) out.push_back(std::move(*e));
        return out;
    }
};

/// A consistent, repeatable view of the graph (see kvg_snapshot). Per-node
/// results are vectors indexed by node id, of length node_count().
class Snapshot : public detail::Handle<kvg_snapshot, kvg_snapshot_close> {
  public:
    explicit Snapshot(kvg_snapshot *s) noexcept : Handle(s) {}

    std::uint64_t node_count() const { return scalar(kvg_snapshot_node_count); }
    std::uint64_t edge_count() const { return scalar(kvg_snapshot_edge_count); }
    std::uint64_t version() const { return scalar(kvg_snapshot_version); }
    std::uint64_t triangle_count() const { return scalar(kvg_snapshot_triangle_count); }

    /// Distinct neighbours of `node` in increasing order, over edges of
    /// `type` (nullptr: any). Throws Error(KVG_NOT_FOUND) for a non-node.
    std::vector<std::uint64_t> neighbors(std::uint64_t node, Direction dir = Direction::Out,
                                         const Name &type = nullptr) const {
        return list([&](std::uint64_t *buf, std::size_t cap, std::size_t *len) {
            return kvg_snapshot_neighbors(get(), node, static_cast<kvg_direction>(dir), type.c_str(), buf, cap, len);
        });
    }

    /// Nodes reachable from `source` in 1 to `k` hops over out-edges, sorted.
    std::vector<std::uint64_t> k_hop(std::uint64_t source, std::uint32_t k) const {
        return list([&](std::uint64_t *buf, std::size_t cap, std::size_t *len) {
            return kvg_snapshot_k_hop(get(), source, k, buf, cap, len);
        });
    }

    /// Hop depths from `source` (-1: unreachable).
    std::vector<std::int64_t> bfs(std::uint64_t source) const {
        return per_node<std::int64_t>([&](std::int64_t *b, std::size_t n) { return kvg_snapshot_bfs(get(), source, b, n); });
    }

    /// Weighted distances from `source` (infinity: unreachable).
    std::vector<double> sssp(std::uint64_t source) const {
        return per_node<double>([&](double *b, std::size_t n) { return kvg_snapshot_sssp(get(), source, b, n); });
    }

    std::vector<double> pagerank(double damping = 0.85, std::uint32_t iterations = 20) const {
        return per_node<double>([&](double *b, std::size_t n) { return kvg_snapshot_pagerank(get(), damping, iterations, b, n); });
    }

    /// Component = smallest node id in it; no_node for non-nodes.
    std::vector<std::uint64_t> wcc() const {
        return per_node<std::uint64_t>([&](std::uint64_t *b, std::size_t n) { return kvg_snapshot_wcc(get(), b, n); });
    }

    std::vector<std::uint64_t> cdlp(std::uint32_t iterations = 10) const {
        return per_node<std::uint64_t>([&](std::uint64_t *b, std::size_t n) { return kvg_snapshot_cdlp(get(), iterations, b, n); });
    }

    std::vector<double> lcc() const {
        return per_node<double>([&](double *b, std::size_t n) { return kvg_snapshot_lcc(get(), b, n); });
    }

  private:
    std::uint64_t scalar(kvg_status (*f)(const kvg_snapshot *, std::uint64_t *)) const {
        std::uint64_t out = 0;
        detail::check(f(get(), &out));
        return out;
    }

    template <typename T, typename F>
    std::vector<T> per_node(F f) const {
        std::vector<T> out(static_cast<std::size_t>(node_count()));
        detail::check(f(out.data(), out.size()));
        return out;
    }

    template <typename F>
    std::vector<std::uint64_t> list(F f) const {
        std::size_t len = 0;
        kvg_status st = f(nullptr, 0, &len);  // a snapshot never changes: ask, then fill
        if (st == KVG_OK) return {};
        if (st != KVG_BUFFER_TOO_SMALL) detail::check(st);
        std::vector<std::uint64_t> out(len);
        detail::check(f(out.data(), out.size(), &len));
        out.resize(len);
        return out;
    }
};

/// The key-value map of an Engine (a non-owning view).
class Kv {
  public:
    explicit Kv(kvg_engine *e) noexcept : e_(e) {}

    void set(std::string_view key, std::string_view value) {
        detail::check(kvg_kv_set(e_, detail::data(key), key.size(), detail::data(value), value.size()));
    }

    /// Sets `key` expiring after `ttl` (at least 1 ms).
    void set(std::string_view key, std::string_view value, std::chrono::milliseconds ttl) {
        detail::check(kvg_kv_set_with_ttl(e_, detail::data(key), key.size(), detail::data(value), value.size(),
                                          static_cast<std::uint64_t>(ttl.count() < 0 ? 0 : ttl.count())));
    }

    /// Inserts if absent; false (nothing changed) if the key is present.
    bool insert(std::string_view key, std::string_view value) {
        return detail::check_unless(
            kvg_kv_insert(e_, detail::data(key), key.size(), detail::data(value), value.size()), KVG_CONFLICT);
    }

    /// The value of `key`, or std::nullopt if absent.
    std::optional<std::string> get(std::string_view key) const {
        detail::Bytes out;
        if (!detail::check_unless(kvg_kv_get(e_, detail::data(key), key.size(), out.out()), KVG_NOT_FOUND)) {
            return std::nullopt;
        }
        return out.str();
    }

    /// Copies the value of `key` into `value` in one call, reusing its
    /// capacity (kvg_kv_get_into); false (and `value` empty) if absent.
    bool get_into(std::string_view key, std::string &value) const {
        value.resize(value.capacity());
        for (;;) {
            std::size_t len = 0;
            kvg_status st = kvg_kv_get_into(e_, detail::data(key), key.size(),
                                            reinterpret_cast<std::uint8_t *>(value.data()), value.size(), &len);
            value.resize(len);  // the value's length, or 0 if absent
            if (st != KVG_BUFFER_TOO_SMALL) return detail::check_unless(st, KVG_NOT_FOUND);
        }
    }

    /// Sets every (key, value) pair in one call, in order (kvg_kv_set_many).
    void set_many(const std::vector<std::pair<std::string_view, std::string_view>> &items) {
        detail::Packed keys, values;
        for (const auto &[key, value] : items) {
            keys.push(key);
            values.push(value);
        }
        detail::check(kvg_kv_set_many(e_, keys.data(), keys.lens.data(), values.data(), values.lens.data(),
                                      items.size()));
    }

    /// The values of `keys` in one call (kvg_kv_get_many); std::nullopt for absent keys.
    std::vector<std::optional<std::string>> get_many(const std::vector<std::string_view> &keys) const {
        detail::Packed packed;
        for (std::string_view key : keys) packed.push(key);
        detail::Bytes out;
        std::vector<std::size_t> lens(keys.size());
        detail::check(kvg_kv_get_many(e_, packed.data(), packed.lens.data(), keys.size(), out.out(), lens.data()));
        return detail::unpack(out, lens);
    }

    /// Deletes `key`; false if it was absent.
    bool erase(std::string_view key) {
        return detail::check_unless(kvg_kv_delete(e_, detail::data(key), key.size()), KVG_NOT_FOUND);
    }

    /// Replaces `expected` by `desired`; false if the key is absent or differs.
    bool compare_and_swap(std::string_view key, std::string_view expected, std::string_view desired) {
        kvg_status st = kvg_kv_compare_and_swap(e_, detail::data(key), key.size(), detail::data(expected),
                                                expected.size(), detail::data(desired), desired.size());
        return st != KVG_NOT_FOUND && detail::check_unless(st, KVG_CONFLICT);
    }

    /// Adds `delta` to the integer at `key` (absent: 0); returns the result.
    std::int64_t incr(std::string_view key, std::int64_t delta = 1) {
        std::int64_t out = 0;
        detail::check(kvg_kv_incr(e_, detail::data(key), key.size(), delta, &out));
        return out;
    }

    /// Number of live keys.
    std::uint64_t size() const {
        std::uint64_t out = 0;
        detail::check(kvg_kv_len(e_, &out));
        return out;
    }

    /// Entries with keys in [start, end); std::nullopt bounds are open.
    KvIter scan(std::optional<std::string_view> start = std::nullopt,
                std::optional<std::string_view> end = std::nullopt) const {
        kvg_kv_iter *it = nullptr;
        detail::check(kvg_kv_scan_open(e_, start ? detail::data(*start) : nullptr, start ? start->size() : 0,
                                       end ? detail::data(*end) : nullptr, end ? end->size() : 0, &it));
        return KvIter(it);
    }

    /// Entries whose keys start with `prefix`.
    KvIter scan_prefix(std::string_view prefix) const {
        kvg_kv_iter *it = nullptr;
        detail::check(kvg_kv_scan_prefix_open(e_, detail::data(prefix), prefix.size(), &it));
        return KvIter(it);
    }

  private:
    kvg_engine *e_;
};

/// The property graph of an Engine (a non-owning view).
class Graph {
  public:
    explicit Graph(kvg_engine *e) noexcept : e_(e) {}

    std::uint64_t add_node(const Name &label = nullptr) {
        std::uint64_t id = 0;
        detail::check(kvg_node_add(e_, label.c_str(), &id));
        return id;
    }

    /// Adds `count` nodes with consecutive ids; returns the first.
    std::uint64_t add_nodes(std::uint64_t count, const Name &label = nullptr) {
        std::uint64_t first = 0;
        detail::check(kvg_nodes_add(e_, count, label.c_str(), &first));
        return first;
    }

    void remove_node(std::uint64_t id) { detail::check(kvg_node_remove(e_, id)); }

    std::string node_label(std::uint64_t id) const {
        detail::Bytes out;
        detail::check(kvg_node_label(e_, id, out.out()));
        return out.str();
    }

    void set_property(std::uint64_t id, const Name &name, std::string_view value) {
        detail::check(kvg_node_set_property(e_, id, name.c_str(), detail::data(value), value.size()));
    }

    /// Property `name` of node `id`; std::nullopt if unset or not a node.
    std::optional<std::string> get_property(std::uint64_t id, const Name &name) const {
        detail::Bytes out;
        if (!detail::check_unless(kvg_node_get_property(e_, id, name.c_str(), out.out()), KVG_NOT_FOUND)) {
            return std::nullopt;
        }
        return out.str();
    }

    /// Sets property `name` of node `ids[i]` to `values[i]` in one call
    /// (kvg_nodes_set_property); an unknown id throws and writes nothing.
    void set_property_many(const std::vector<std::uint64_t> &ids, const Name &name,
                           const std::vector<std::string_view> &values) {
        if (values.size() != ids.size()) {
            throw Error(KVG_INVALID_ARGUMENT, "set_property_many: ids and values differ in length");
        }
        detail::Packed packed;
        for (std::string_view value : values) packed.push(value);
        detail::check(kvg_nodes_set_property(e_, ids.data(), ids.size(), name.c_str(), packed.data(),
                                             packed.lens.data()));
    }

    /// Property `name` of each of `ids` in one call (kvg_nodes_get_property);
    /// std::nullopt where it is unset or the id is not a node.
    std::vector<std::optional<std::string>> get_property_many(const std::vector<std::uint64_t> &ids,
                                                              const Name &name) const {
        detail::Bytes out;
        std::vector<std::size_t> lens(ids.size());
        detail::check(kvg_nodes_get_property(e_, ids.data(), ids.size(), name.c_str(), out.out(), lens.data()));
        return detail::unpack(out, lens);
    }

    void add_edge(std::uint64_t src, std::uint64_t dst, const Name &type = nullptr, double weight = 1.0) {
        detail::check(kvg_edge_add(e_, src, dst, type.c_str(), weight));
    }

    void remove_edge(std::uint64_t src, std::uint64_t dst, const Name &type = nullptr) {
        detail::check(kvg_edge_remove(e_, src, dst, type.c_str()));
    }

    /// Bulk-loads `n` edges; `weights` may be nullptr (all 1.0).
    void load_edges(const std::uint64_t *src, const std::uint64_t *dst, const double *weights, std::size_t n,
                    const Name &type = nullptr) {
        detail::check(kvg_edges_load(e_, src, dst, weights, n, type.c_str()));
    }

    /// Bulk-loads `src[i] -> dst[i]`; `weights` empty (all 1.0) or as long as `src`.
    void load_edges(const std::vector<std::uint64_t> &src, const std::vector<std::uint64_t> &dst,
                    const std::vector<double> &weights = {}, const Name &type = nullptr) {
        if (dst.size() != src.size() || (!weights.empty() && weights.size() != src.size())) {
            throw Error(KVG_INVALID_ARGUMENT, "load_edges: src, dst and weights differ in length");
        }
        load_edges(src.data(), dst.data(), weights.empty() ? nullptr : weights.data(), src.size(), type);
    }

    void compact() { detail::check(kvg_graph_compact(e_)); }

    kvg_graph_stats stats() const {
        kvg_graph_stats out{};
        detail::check(kvg_graph_get_stats(e_, &out));
        return out;
    }

    Snapshot snapshot() const {
        kvg_snapshot *s = nullptr;
        detail::check(kvg_snapshot_open(e_, &s));
        return Snapshot(s);
    }

  private:
    kvg_engine *e_;
};

/// An engine: an ordered KV map and a property graph, closed on destruction.
class Engine : public detail::Handle<kvg_engine, kvg_engine_close> {
  public:
    /// The default settings, to adjust before Engine(config).
    static kvg_config default_config() noexcept {
        kvg_config c;
        kvg_config_default(&c);
        return c;
    }

    Engine() : Handle(open(nullptr)) {}
    explicit Engine(const kvg_config &config) : Handle(open(&config)) {}

    Kv kv() const noexcept { return Kv(get()); }
    Graph graph() const noexcept { return Graph(get()); }

    /// Reclaims expired keys and unreachable memory now (never required).
    void maintain() { detail::check(kvg_engine_maintain(get())); }

    /// Bytes retired to and freed by the memory manager so far.
    std::pair<std::uint64_t, std::uint64_t> memory_stats() const {
        std::uint64_t retired = 0, freed = 0;
        detail::check(kvg_engine_memory_stats(get(), &retired, &freed));
        return {retired, freed};
    }

  private:
    static kvg_engine *open(const kvg_config *config) {
        kvg_engine *e = nullptr;
        detail::check(kvg_engine_open(config, &e));
        return e;
    }
};

/// The library's version string.
inline std::string version() { return kvg_version(); }

}  // namespace kvgraph

#endif  // KVGRAPH_HPP
