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
// - Typed property values are kvgraph::Value (null, bool, int64, double,
//   string, Bytes, List, Map: the library's value model); the byte-string
//   property calls keep taking and giving std::string (bytes values).
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
#include <cstring>
#include <iterator>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
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

/// When a durable engine syncs its log (kvg_fsync).
enum class Fsync : int { Always = KVG_FSYNC_ALWAYS, EverySec = KVG_FSYNC_EVERYSEC, Never = KVG_FSYNC_NEVER };

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

    /// Gives up ownership of the handle (the destructor then does nothing).
    T *release() noexcept { return std::exchange(h_, nullptr); }

  private:
    void reset() noexcept { (void)Close(std::exchange(h_, nullptr)); }
    T *h_;
};

}  // namespace detail

/// A byte-string property value (as opposed to a UTF-8 string value).
struct Bytes {
    std::string data;

    bool operator==(const Bytes &o) const noexcept { return data == o.data; }
    bool operator!=(const Bytes &o) const noexcept { return data != o.data; }
};

class Value;
/// A list value.
using List = std::vector<Value>;
/// A map value (keys in byte order, as the library keeps them).
using Map = std::map<std::string, Value>;

/// A typed property value: a std::variant of null (std::monostate), bool,
/// std::int64_t, double, std::string (UTF-8), Bytes, List and Map.
class Value {
  public:
    using Variant = std::variant<std::monostate, bool, std::int64_t, double, std::string, Bytes, List, Map>;

    Value() noexcept = default;
    Value(std::nullptr_t) noexcept {}
    Value(bool b) noexcept : v_(b) {}
    template <typename I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
    Value(I i) : v_(static_cast<std::int64_t>(i)) {
        if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
            if (i > static_cast<I>(INT64_MAX)) throw std::out_of_range("kvgraph::Value: integer above INT64_MAX");
        }
    }
    Value(double d) noexcept : v_(d) {}
    Value(const char *s) : v_(std::string(s)) {}
    Value(std::string s) noexcept : v_(std::move(s)) {}
    Value(std::string_view s) : v_(std::string(s)) {}
    Value(Bytes b) noexcept : v_(std::move(b)) {}
    Value(List l) noexcept : v_(std::move(l)) {}
    Value(Map m) noexcept : v_(std::move(m)) {}

    /// The variant itself (for std::visit, std::get_if, ...).
    const Variant &variant() const noexcept { return v_; }
    Variant &variant() noexcept { return v_; }

    bool is_null() const noexcept { return v_.index() == 0; }
    /// Whether the value holds a T.
    template <typename T>
    bool is() const noexcept { return std::holds_alternative<T>(v_); }
    /// The T it holds; throws std::bad_variant_access otherwise.
    template <typename T>
    const T &as() const { return std::get<T>(v_); }

    bool operator==(const Value &o) const { return v_ == o.v_; }
    bool operator!=(const Value &o) const { return !(v_ == o.v_); }

  private:
    Variant v_;
};

namespace detail {

inline void put_varint(std::string &out, std::uint64_t n) {
    while (n >= 0x80) {
        out.push_back(static_cast<char>((n & 0x7F) | 0x80));
        n >>= 7;
    }
    out.push_back(static_cast<char>(n));
}

inline void put_blob(std::string &out, char tag, std::string_view bytes) {
    out.push_back(tag);
    put_varint(out, bytes.size());
    out.append(bytes);
}

/// Appends the binary encoding of `v` without the version byte (README "Data model").
inline void encode_into(std::string &out, const Value &v) {
    struct Visitor {
        std::string &out;
        void operator()(std::monostate) const { out.push_back(0); }
        void operator()(bool b) const { out.push_back(b ? 2 : 1); }
        void operator()(std::int64_t i) const {
            out.push_back(3);
            auto u = static_cast<std::uint64_t>(i);
            put_varint(out, (u << 1) ^ (i < 0 ? ~std::uint64_t(0) : 0));
        }
        void operator()(double d) const {
            out.push_back(4);
            std::uint64_t bits;
            std::memcpy(&bits, &d, sizeof bits);
            for (int k = 0; k < 8; k++) out.push_back(static_cast<char>((bits >> (8 * k)) & 0xFF));
        }
        void operator()(const std::string &s) const { put_blob(out, 5, s); }
        void operator()(const kvgraph::Bytes &b) const { put_blob(out, 6, b.data); }
        void operator()(const List &l) const {
            out.push_back(7);
            put_varint(out, l.size());
            for (const Value &item : l) encode_into(out, item);
        }
        void operator()(const Map &m) const {
            out.push_back(8);
            put_varint(out, m.size());
            for (const auto &[key, item] : m) {
                put_varint(out, key.size());
                out.append(key);
                encode_into(out, item);
            }
        }
    };
    std::visit(Visitor{out}, v.variant());
}

/// Reads the binary encoding; throws Error(KVG_INVALID_ARGUMENT) when malformed.
class Decoder {
  public:
    explicit Decoder(std::string_view in) noexcept : in_(in) {}

    Value value(int depth) {
        if (depth > 64) fail("nested too deep");
        switch (byte()) {
            case 0: return Value();
            case 1: return Value(false);
            case 2: return Value(true);
            case 3: {
                std::uint64_t z = varint();
                return Value(static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1)));
            }
            case 4: {
                std::string_view raw = take(8);
                std::uint64_t bits = 0;
                for (int k = 7; k >= 0; k--) bits = (bits << 8) | static_cast<unsigned char>(raw[static_cast<std::size_t>(k)]);
                double d;
                std::memcpy(&d, &bits, sizeof d);
                return Value(d);
            }
            case 5: return Value(std::string(take(varint())));
            case 6: return Value(kvgraph::Bytes{std::string(take(varint()))});
            case 7: {
                List l;
                for (std::uint64_t n = varint(); n > 0; n--) l.push_back(value(depth + 1));
                return Value(std::move(l));
            }
            case 8: {
                Map m;
                for (std::uint64_t n = varint(); n > 0; n--) {
                    std::string key(take(varint()));
                    m.emplace(std::move(key), value(depth + 1));
                }
                return Value(std::move(m));
            }
            default: fail("unknown tag");
        }
    }

    std::uint8_t byte() {
        if (in_.empty()) fail("truncated");
        auto b = static_cast<std::uint8_t>(in_.front());
        in_.remove_prefix(1);
        return b;
    }
    bool done() const noexcept { return in_.empty(); }

  private:
    [[noreturn]] static void fail(const char *why) {
        throw Error(KVG_INVALID_ARGUMENT, std::string("malformed value encoding: ") + why);
    }
    std::uint64_t varint() {
        std::uint64_t n = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            std::uint8_t b = byte();
            n |= static_cast<std::uint64_t>(b & 0x7F) << shift;
            if (!(b & 0x80)) return n;
        }
        fail("varint too long");
    }
    std::string_view take(std::uint64_t n) {
        if (n > in_.size()) fail("truncated");
        std::string_view out = in_.substr(0, static_cast<std::size_t>(n));
        in_.remove_prefix(static_cast<std::size_t>(n));
        return out;
    }
    std::string_view in_;
};

}  // namespace detail

/// kvgraph's binary encoding of `v` (version byte 1, then the value).
inline std::string encode(const Value &v) {
    std::string out(1, '\x01');
    detail::encode_into(out, v);
    return out;
}

/// The value of an encode()d string; throws Error(KVG_INVALID_ARGUMENT) if malformed.
inline Value decode(std::string_view raw) {
    detail::Decoder d(raw);
    if (d.byte() != 1) throw Error(KVG_INVALID_ARGUMENT, "malformed value encoding: unknown version");
    Value v = d.value(0);
    if (!d.done()) throw Error(KVG_INVALID_ARGUMENT, "malformed value encoding: trailing bytes");
    return v;
}

namespace detail {

/// A kvg_value describing a Value, with the bytes it borrows.
class CValue {
  public:
    explicit CValue(const Value &v) {
        const Value::Variant &x = v.variant();
        c_.kind = static_cast<kvg_value_type>(x.index());
        if (auto b = std::get_if<bool>(&x)) c_.boolean = *b;
        if (auto i = std::get_if<std::int64_t>(&x)) c_.integer = *i;
        if (auto d = std::get_if<double>(&x)) c_.real = *d;
        if (auto s = std::get_if<std::string>(&x)) bytes(*s);
        if (auto b = std::get_if<kvgraph::Bytes>(&x)) bytes(b->data);
        if (x.index() >= 6) {
            owned_ = encode(v);
            bytes(owned_);
        }
    }
    CValue(const CValue &) = delete;
    CValue &operator=(const CValue &) = delete;
    const kvg_value *get() const noexcept { return &c_; }

  private:
    void bytes(std::string_view s) noexcept {
        c_.data = detail::data(s);
        c_.len = s.size();
    }
    kvg_value c_{};
    std::string owned_;
};

/// The Value of an output kvg_value whose bytes `data` owns.
inline Value value_out(const kvg_value &v, const Bytes &data) {
    switch (v.kind) {
        case KVG_VALUE_NULL: return Value();
        case KVG_VALUE_BOOL: return Value(v.boolean);
        case KVG_VALUE_INT: return Value(v.integer);
        case KVG_VALUE_FLOAT: return Value(v.real);
        case KVG_VALUE_STRING: return Value(data.str());
        case KVG_VALUE_BYTES: return Value(kvgraph::Bytes{data.str()});
        case KVG_VALUE_LIST:
        case KVG_VALUE_MAP: return decode(data.view());
    }
    throw Error(KVG_INVALID_ARGUMENT, "the library returned an unknown value type");
}

/// Reads a value with `f(kvg_value *, kvg_bytes *)`; std::nullopt on KVG_NOT_FOUND.
template <typename F>
std::optional<Value> read_value(F f) {
    kvg_value v{};
    Bytes data;
    if (!check_unless(f(&v, data.out()), KVG_NOT_FOUND)) return std::nullopt;
    return value_out(v, data);
}

/// The names of a packed "name\0name\0" list.
inline std::vector<std::string> names(const Bytes &packed) {
    std::vector<std::string> out;
    std::string_view rest = packed.view();
    while (!rest.empty()) {
        std::size_t end = rest.find('\0');
        if (end == std::string_view::npos) end = rest.size();
        out.emplace_back(rest.substr(0, end));
        rest.remove_prefix(end == rest.size() ? end : end + 1);
    }
    return out;
}

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
/// A relationship as Graph::relationship and Snapshot::relationship read it.
struct Relationship {
    std::uint64_t id = 0;
    std::uint64_t src = 0;
    std::uint64_t dst = 0;
    std::string type;  ///< "" for an untyped relationship
    double weight = 0.0;
};

namespace detail {

/// Runs `f(kvg_rel *)`; the relationship it fills, or std::nullopt for KVG_NOT_FOUND.
template <typename F>
std::optional<Relationship> read_rel(F f) {
    kvg_rel r{};
    if (!check_unless(f(&r), KVG_NOT_FOUND)) return std::nullopt;
    Relationship out{r.id, r.src, r.dst, std::string(), r.weight};
    if (r.rel_type.data) out.type.assign(reinterpret_cast<const char *>(r.rel_type.data), r.rel_type.len);
    kvg_bytes_free(&r.rel_type);
    return out;
}

}  // namespace detail

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

    /// The labels of `node` as of the snapshot, in name order.
    std::vector<std::string> labels(std::uint64_t node) const {
        detail::Bytes out;
        detail::check(kvg_snapshot_node_labels(get(), node, out.out()));
        return detail::names(out);
    }

    /// Whether `node` has `label` as of the snapshot.
    bool has_label(std::uint64_t node, std::string_view label) const {
        for (const std::string &l : labels(node)) {
            if (l == label) return true;
        }
        return false;
    }

    /// Nodes labelled `label`, in increasing id order (label index).
    std::vector<std::uint64_t> nodes_with_label(const Name &label) const {
        return list([&](std::uint64_t *buf, std::size_t cap, std::size_t *len) {
            return kvg_snapshot_nodes_with_label(get(), label.c_str(), buf, cap, len);
        });
    }

    /// Property `name` of node `id` as of the snapshot; std::nullopt if unset
    /// or not a node.
    std::optional<Value> property_value(std::uint64_t id, const Name &name) const {
        return detail::read_value([&](kvg_value *v, kvg_bytes *d) {
            return kvg_snapshot_node_property_value(get(), id, name.c_str(), v, d);
        });
    }

    /// Property `name` of relationship `rel` as of the snapshot; std::nullopt if unset.
    std::optional<Value> rel_property(std::uint64_t rel, const Name &name) const {
        return detail::read_value([&](kvg_value *v, kvg_bytes *d) {
            return kvg_snapshot_rel_property_value(get(), rel, name.c_str(), v, d);
        });
    }

    /// Relationship `id` as of the snapshot; std::nullopt if it is not in it.
    std::optional<Relationship> relationship(std::uint64_t id) const {
        return detail::read_rel([&](kvg_rel *r) { return kvg_snapshot_rel_get(get(), id, r); });
    }

    /// Ids of the relationships at `node` in `dir` of `type` (nullptr: any),
    /// out-relationships first for Direction::Both.
    std::vector<std::uint64_t> relationships(std::uint64_t node, Direction dir = Direction::Out,
                                             const Name &type = nullptr) const {
        return list([&](std::uint64_t *buf, std::size_t cap, std::size_t *len) {
            return kvg_snapshot_relationships(get(), node, static_cast<kvg_direction>(dir), type.c_str(), buf, cap,
                                              len);
        });
    }

    /// Nodes labelled `label` whose `property` equals `value` (numbers by
    /// value), through the index on (label, property).
    std::vector<std::uint64_t> index_lookup(const Name &label, const Name &property, const Value &value) const {
        detail::CValue v(value);
        return list([&](std::uint64_t *buf, std::size_t cap, std::size_t *len) {
            return kvg_snapshot_index_lookup(get(), label.c_str(), property.c_str(), v.get(), buf, cap, len);
        });
    }

    /// Nodes labelled `label` whose `property` lies between `lower` and
    /// `upper` (std::nullopt: unbounded), through the index.
    std::vector<std::uint64_t> index_range(const Name &label, const Name &property, const std::optional<Value> &lower,
                                           bool lower_inclusive, const std::optional<Value> &upper,
                                           bool upper_inclusive) const {
        std::optional<detail::CValue> lo, hi;
        if (lower) lo.emplace(*lower);
        if (upper) hi.emplace(*upper);
        return list([&](std::uint64_t *buf, std::size_t cap, std::size_t *len) {
            return kvg_snapshot_index_range(get(), label.c_str(), property.c_str(), lo ? lo->get() : nullptr,
                                            lower_inclusive, hi ? hi->get() : nullptr, upper_inclusive, buf, cap, len);
        });
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

/// A KV write group (kvg_kv_group_*): every write this thread makes to the
/// engine's KV map until the group closes is one durability log record,
/// replayed whole or not at all after a crash. Not isolation: the writes
/// are visible at once. Groups nest (an inner one is part of the outer).
/// RAII: destroying an open group closes it (ignoring errors); close()
/// throws Error(KVG_IO_ERROR) if its record could not be written. Close
/// it on the thread that opened it, and soon: Engine::save waits for open
/// groups (and throws KVG_INVALID_ARGUMENT inside one of its own thread).
class KvGroup : public detail::Handle<kvg_kv_group, kvg_kv_group_close> {
  public:
    explicit KvGroup(kvg_kv_group *g) noexcept : Handle(g) {}
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

    /// Opens a write group of the calling thread (see KvGroup).
    KvGroup write_group() const {
        kvg_kv_group *g = nullptr;
        detail::check(kvg_kv_group_open(e_, &g));
        return KvGroup(g);
    }

    /// Runs `f()` inside a write group and returns its result; the group is
    /// closed (its record logged) also when `f` throws, whose exception
    /// then propagates.
    template <typename F>
    std::invoke_result_t<F> write_group(F &&f) const {
        KvGroup group = write_group();
        if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
            std::forward<F>(f)();
            group.close();
        } else {
            std::invoke_result_t<F> r = std::forward<F>(f)();
            group.close();
            return r;
        }
    }

  private:
    kvg_engine *e_;
};

/// A batch of graph writes that commits atomically (kvg_batch_*): every
/// snapshot sees all of it or none of it. RAII: destroying a batch that was
/// not committed aborts it. A call that throws records nothing in the batch.
class Batch : public detail::Handle<kvg_batch, kvg_batch_abort> {
  public:
    explicit Batch(kvg_batch *b) noexcept : Handle(b) {}

    /// Creates a node (labelled `label`, none if null) that appears at
    /// commit; its id is known now.
    std::uint64_t add_node(const Name &label = nullptr) {
        std::uint64_t id = 0;
        detail::check(kvg_batch_add_node(get(), label.c_str(), &id));
        return id;
    }

    /// Removes node `id` with its relationships at commit.
    void remove_node(std::uint64_t id) { detail::check(kvg_batch_remove_node(get(), id)); }

    void add_edge(std::uint64_t src, std::uint64_t dst, const Name &type = nullptr, double weight = 1.0) {
        detail::check(kvg_batch_add_edge(get(), src, dst, type.c_str(), weight));
    }

    void remove_edge(std::uint64_t src, std::uint64_t dst, const Name &type = nullptr) {
        detail::check(kvg_batch_remove_edge(get(), src, dst, type.c_str()));
    }

    /// Creates a relationship at commit; its id is known now.
    std::uint64_t create_relationship(std::uint64_t src, std::uint64_t dst, const Name &type = nullptr,
                                      double weight = 1.0) {
        std::uint64_t id = 0;
        detail::check(kvg_batch_create_rel(get(), src, dst, type.c_str(), weight, &id));
        return id;
    }

    void remove_relationship(std::uint64_t id) { detail::check(kvg_batch_remove_rel(get(), id)); }

    /// Adds `label` to node `id`; false if it had it.
    bool add_label(std::uint64_t id, const Name &label) {
        bool added = false;
        detail::check(kvg_batch_add_label(get(), id, label.c_str(), &added));
        return added;
    }

    /// Removes `label` from node `id`; false if it lacked it.
    bool remove_label(std::uint64_t id, const Name &label) {
        bool removed = false;
        detail::check(kvg_batch_remove_label(get(), id, label.c_str(), &removed));
        return removed;
    }

    /// Sets property `name` of node `id` to `value` (null removes it).
    void set_property_value(std::uint64_t id, const Name &name, const Value &value) {
        detail::CValue v(value);
        detail::check(kvg_batch_set_property(get(), id, name.c_str(), v.get()));
    }

    /// Removes property `name` of node `id`; false if it was unset.
    bool remove_property(std::uint64_t id, const Name &name) {
        bool removed = false;
        detail::check(kvg_batch_remove_property(get(), id, name.c_str(), &removed));
        return removed;
    }

    /// Sets property `name` of relationship `rel` (also one the batch created).
    void set_rel_property(std::uint64_t rel, const Name &name, const Value &value) {
        detail::CValue v(value);
        detail::check(kvg_batch_set_rel_property(get(), rel, name.c_str(), v.get()));
    }

    /// Removes property `name` of relationship `rel`; false if it was unset.
    bool remove_rel_property(std::uint64_t rel, const Name &name) {
        bool removed = false;
        detail::check(kvg_batch_remove_rel_property(get(), rel, name.c_str(), &removed));
        return removed;
    }

    /// Publishes every write at one version, or none (then throws); the
    /// batch is released whatever the outcome.
    void commit() { detail::check(kvg_batch_commit(release())); }

    /// Drops every write (what the destructor does).
    void abort() { close(); }
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

    /// Adds `label` to node `id`; false if it had it.
    bool add_label(std::uint64_t id, const Name &label) {
        bool added = false;
        detail::check(kvg_node_add_label(e_, id, label.c_str(), &added));
        return added;
    }

    /// Removes `label` from node `id`; false if it lacked it.
    bool remove_label(std::uint64_t id, const Name &label) {
        bool removed = false;
        detail::check(kvg_node_remove_label(e_, id, label.c_str(), &removed));
        return removed;
    }

    bool has_label(std::uint64_t id, const Name &label) const {
        bool has = false;
        detail::check(kvg_node_has_label(e_, id, label.c_str(), &has));
        return has;
    }

    /// The labels of node `id`, in name order.
    std::vector<std::string> labels(std::uint64_t id) const {
        detail::Bytes out;
        detail::check(kvg_node_labels(e_, id, out.out()));
        return detail::names(out);
    }

    /// Sets property `name` of node `id` to the typed `value` (null removes it).
    void set_property_value(std::uint64_t id, const Name &name, const Value &value) {
        detail::CValue v(value);
        detail::check(kvg_node_set_property_value(e_, id, name.c_str(), v.get()));
    }

    /// Typed property `name` of node `id`; std::nullopt if unset or not a node.
    std::optional<Value> property_value(std::uint64_t id, const Name &name) const {
        return detail::read_value([&](kvg_value *v, kvg_bytes *d) {
            return kvg_node_get_property_value(e_, id, name.c_str(), v, d);
        });
    }

    /// Removes property `name` of node `id`; false if unset or not a node.
    bool remove_property(std::uint64_t id, const Name &name) {
        return detail::check_unless(kvg_node_remove_property(e_, id, name.c_str()), KVG_NOT_FOUND);
    }

    /// Sets property `name` of relationship `rel` (null removes it).
    void set_rel_property(std::uint64_t rel, const Name &name, const Value &value) {
        detail::CValue v(value);
        detail::check(kvg_rel_set_property_value(e_, rel, name.c_str(), v.get()));
    }

    /// Property `name` of relationship `rel`; std::nullopt if unset.
    std::optional<Value> rel_property(std::uint64_t rel, const Name &name) const {
        return detail::read_value([&](kvg_value *v, kvg_bytes *d) {
            return kvg_rel_get_property_value(e_, rel, name.c_str(), v, d);
        });
    }

    /// Removes property `name` of relationship `rel`; false if it was unset.
    bool remove_rel_property(std::uint64_t rel, const Name &name) {
        return detail::check_unless(kvg_rel_remove_property(e_, rel, name.c_str()), KVG_NOT_FOUND);
    }

    /// Creates a new relationship `src -> dst` (another one even if the two
    /// are joined by one of `type` already); returns its id.
    std::uint64_t create_relationship(std::uint64_t src, std::uint64_t dst, const Name &type = nullptr,
                                      double weight = 1.0) {
        std::uint64_t id = 0;
        detail::check(kvg_rel_create(e_, src, dst, type.c_str(), weight, &id));
        return id;
    }

    /// Removes relationship `id` and its properties.
    void remove_relationship(std::uint64_t id) { detail::check(kvg_rel_remove(e_, id)); }

    /// Relationship `id` as it is now; std::nullopt if there is none.
    std::optional<Relationship> relationship(std::uint64_t id) const {
        return detail::read_rel([&](kvg_rel *r) { return kvg_rel_get(e_, id, r); });
    }

    /// A batch of writes that commits atomically (see Batch).
    Batch batch() const {
        kvg_batch *b = nullptr;
        detail::check(kvg_batch_open(e_, &b));
        return Batch(b);
    }

    /// Indexes `property` of nodes labelled `label`; false if it existed.
    bool create_index(const Name &label, const Name &property) {
        bool created = false;
        detail::check(kvg_index_create(e_, label.c_str(), property.c_str(), &created));
        return created;
    }

    /// Drops the index on (label, property); false if there was none.
    bool drop_index(const Name &label, const Name &property) {
        bool dropped = false;
        detail::check(kvg_index_drop(e_, label.c_str(), property.c_str(), &dropped));
        return dropped;
    }

    /// The declared indexes as (label, property), in creation order.
    std::vector<std::pair<std::string, std::string>> indexes() const {
        detail::Bytes out;
        detail::check(kvg_index_list(e_, out.out()));
        std::vector<std::string> flat = detail::names(out);
        std::vector<std::pair<std::string, std::string>> pairs;
        for (std::size_t i = 0; i + 1 < flat.size(); i += 2) pairs.emplace_back(flat[i], flat[i + 1]);
        return pairs;
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

/// The type of a query result cell.
enum class CellType : int {
    Null = KVG_CELL_NULL,
    Bool = KVG_CELL_BOOL,
    Int = KVG_CELL_INT,
    Float = KVG_CELL_FLOAT,
    String = KVG_CELL_STRING,
    Bytes = KVG_CELL_BYTES,
    List = KVG_CELL_LIST,
    Map = KVG_CELL_MAP,
    Node = KVG_CELL_NODE,
    Relationship = KVG_CELL_RELATIONSHIP,
    Path = KVG_CELL_PATH,
};

/// The result of a Cypher query (Engine::query): columns, rows of typed
/// cells, statistics. Owns its values; may outlive its engine.
class Result : public detail::Handle<kvg_result, kvg_result_close> {
  public:
    explicit Result(kvg_result *r) noexcept : Handle(r) {}

    std::uint64_t column_count() const { return count(kvg_result_column_count); }
    std::uint64_t row_count() const { return count(kvg_result_row_count); }

    /// The column names, in order.
    std::vector<std::string> columns() const {
        std::vector<std::string> out;
        for (std::uint64_t c = 0, n = column_count(); c < n; c++) {
            detail::Bytes name;
            detail::check(kvg_result_column_name(get(), c, name.out()));
            out.push_back(name.str());
        }
        return out;
    }

    /// What the query's writes changed.
    kvg_query_stats stats() const {
        kvg_query_stats out{};
        detail::check(kvg_result_stats(get(), &out));
        return out;
    }

    /// The whole result as JSON ({"columns", "rows", "stats"}).
    std::string json() const {
        detail::Bytes out;
        detail::check(kvg_result_json(get(), out.out()));
        return out.str();
    }

    CellType cell_type(std::uint64_t row, std::uint64_t col) const {
        kvg_cell_type t = KVG_CELL_NULL;
        detail::check(kvg_result_cell_type(get(), row, col, &t));
        return static_cast<CellType>(t);
    }

    /// One cell as JSON (any type).
    std::string cell_json(std::uint64_t row, std::uint64_t col) const {
        detail::Bytes out;
        detail::check(kvg_result_cell_json(get(), row, col, out.out()));
        return out.str();
    }

    /// The id of a node or relationship cell.
    std::uint64_t cell_id(std::uint64_t row, std::uint64_t col) const {
        std::uint64_t id = 0;
        detail::check(kvg_result_cell_id(get(), row, col, &id));
        return id;
    }

    /// A null, bool, int, float, string or bytes cell as a Value; lists,
    /// maps, nodes, relationships and paths throw Error (read them with
    /// cell_json / cell_id).
    Value value(std::uint64_t row, std::uint64_t col) const {
        switch (cell_type(row, col)) {
            case CellType::Null: return Value();
            case CellType::Bool: {
                bool b = false;
                detail::check(kvg_result_cell_bool(get(), row, col, &b));
                return Value(b);
            }
            case CellType::Int: {
                std::int64_t i = 0;
                detail::check(kvg_result_cell_int(get(), row, col, &i));
                return Value(i);
            }
            case CellType::Float: {
                double d = 0;
                detail::check(kvg_result_cell_float(get(), row, col, &d));
                return Value(d);
            }
            case CellType::String:
            case CellType::Bytes: {
                detail::Bytes out;
                detail::check(kvg_result_cell_string(get(), row, col, out.out()));
                if (cell_type(row, col) == CellType::Bytes) return Value(kvgraph::Bytes{out.str()});
                return Value(out.str());
            }
            default: throw Error(KVG_INVALID_ARGUMENT, "Result::value: the cell is not a scalar; use cell_json or cell_id");
        }
    }

  private:
    std::uint64_t count(kvg_status (*f)(const kvg_result *, std::uint64_t *)) const {
        std::uint64_t out = 0;
        detail::check(f(get(), &out));
        return out;
    }
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
    /// A durable engine on directory `path` (created if missing), holding
    /// what it held; throws Error(KVG_IO_ERROR) for a locked directory or a
    /// damaged file (what() names the file and the offset).
    explicit Engine(const std::string &path, Fsync fsync = Fsync::EverySec) : Handle(open(durable(path, fsync))) {}

    /// Writes a snapshot now and truncates the log (durable engines only).
    void save() { detail::check(kvg_engine_save(get())); }

    /// Writes and syncs every logged write now, whatever the fsync policy.
    void sync() { detail::check(kvg_engine_sync(get())); }

    Kv kv() const noexcept { return Kv(get()); }
    Graph graph() const noexcept { return Graph(get()); }

    /// Runs the openCypher query `text` with `params_json` (a JSON object,
    /// `{"name": "Ada"}`; nullptr for none). A failed query throws Error
    /// (KVG_INVALID_ARGUMENT; what() starts with the openCypher category,
    /// "SyntaxError: ... at LINE:COLUMN").
    Result query(const Name &text, const Name &params_json = nullptr) const {
        kvg_result *r = nullptr;
        detail::check(kvg_query(get(), text.c_str(), params_json.c_str(), &r));
        return Result(r);
    }

    /// Reclaims expired keys and unreachable memory now (never required).
    void maintain() { detail::check(kvg_engine_maintain(get())); }

    /// Bytes retired to and freed by the memory manager so far.
    std::pair<std::uint64_t, std::uint64_t> memory_stats() const {
        std::uint64_t retired = 0, freed = 0;
        detail::check(kvg_engine_memory_stats(get(), &retired, &freed));
        return {retired, freed};
    }

  private:
    static kvg_config durable(const std::string &path, Fsync fsync) {
        kvg_config c = default_config();
        c.path = path.c_str();
        c.fsync = static_cast<kvg_fsync>(fsync);
        return c;
    }
    static kvg_engine *open(const kvg_config &config) { return open(&config); }
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
