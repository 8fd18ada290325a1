//! Nodes of the multi-entry skiplist and their immutable revisions.
//!
//! A [`Node`] covers the keys from its `low` key up to the `low` key of its
//! level-0 successor. Its contents are one [`Rev`] (revision): the node's
//! sorted keys, one value [`Slot`] per key and the level-0 successor, all
//! fixed at creation except the slots' values, and a small *append area*:
//! pointers to [`Appended`] entries, keys added since the revision was
//! built, filled front to back by one CAS each. Index levels 1 and up are
//! the node's `tower`, plain lock-free linked lists (nodes are never
//! unlinked).

use super::slot::{FROZEN, Raw, Slot, prefetch_line};
use crate::sync::{AtomicPtr, Ordering};
use crossbeam_epoch::{Atomic, Guard, Owned, Pointable, Pointer, Shared};
use smallvec::SmallVec;
use std::alloc::Layout;
use std::cell::UnsafeCell;
use std::mem::MaybeUninit;

/// A node's low key: inline up to 24 bytes, so that comparing it during a
/// descent costs no second cache miss.
pub(super) type Key = SmallVec<[u8; 24]>;

/// Index levels above level 0; a tower holds at most this many.
pub(super) const MAX_LEVELS: usize = 10;

/// One node of the skiplist. The tower is inline (no second cache miss per
/// index hop); the low key, the revision pointer and the lowest index
/// levels share the first cache line.
#[repr(C)]
pub(super) struct Node {
    /// The smallest key this node may hold (empty for the head).
    pub(super) low: Key,
    /// The [`prefix`] of `low`, compared first during a descent.
    pub(super) prefix: u64,
    /// The current revision.
    pub(super) rev: Atomic<Rev>,
    /// Successors on index levels 1, 2, … (null: none yet); only the first
    /// `levels` are used.
    pub(super) tower: [AtomicPtr<Node>; MAX_LEVELS],
    /// Index levels this node is linked into.
    pub(super) levels: u8,
}

impl Node {
    /// A node with `levels` index levels and first revision `rev`.
    pub(super) fn new(low: &[u8], rev: Owned<Rev>, levels: usize) -> Box<Node> {
        let tower = std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut()));
        let levels = u8::try_from(levels.min(MAX_LEVELS)).expect("at most MAX_LEVELS");
        Box::new(Node { low: low.into(), prefix: prefix(low), rev: Atomic::from(rev), tower, levels })
    }

    /// Asks the CPU to load the node's first cache line (its low key's
    /// prefix and revision pointer). A hint only.
    #[inline]
    pub(super) fn prefetch(&self) {
        prefetch_line(&self.rev as *const Atomic<Rev> as usize);
    }

    /// The successor on index level `level` (1-based), if any.
    pub(super) fn up(&self, level: usize) -> Option<&Node> {
        // SAFETY: tower pointers are null or point to nodes of the same map,
        // which are freed only when the map is dropped (`&mut` access).
        unsafe { self.tower[level - 1].load(Ordering::SeqCst).as_ref() }
    }
}

/// The first 8 bytes of `key` as a big-endian number, zero-padded: two keys
/// whose prefixes differ compare like their prefixes (equal prefixes decide
/// nothing).
pub(super) fn prefix(key: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = key.len().min(8);
    b[..n].copy_from_slice(&key[..n]);
    u64::from_be_bytes(b)
}

/// `a.cmp(b)`, compared in place 8 bytes at a time: keys are short, and
/// a call into the C library's `memcmp` costs more than the comparison
/// (it was 10–16% of a graph query's samples). Long keys still go there.
#[inline]
pub(super) fn compare(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let n = a.len().min(b.len());
    if n > 32 {
        return a.cmp(b);
    }
    let word = |s: &[u8], i: usize| u64::from_be_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    let mut i = 0;
    while i + 8 <= n {
        let (x, y) = (word(a, i), word(b, i));
        if x != y {
            return x.cmp(&y);
        }
        i += 8;
    }
    while i < n {
        if a[i] != b[i] {
            return a[i].cmp(&b[i]);
        }
        i += 1;
    }
    a.len().cmp(&b.len())
}

/// The length of the longest prefix that `a` and `b` share.
pub(super) fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// The 4 bytes of `key` from `skip` on, as a big-endian number, zero-padded
/// (`key` is at least `skip` long).
#[inline]
fn head_at(key: &[u8], skip: usize) -> u32 {
    let rest = &key[skip..];
    let mut b = [0u8; 4];
    let n = rest.len().min(4);
    b[..n].copy_from_slice(&rest[..n]);
    u32::from_be_bytes(b)
}

/// The sized start of a revision's block; the offsets count from the block's start.
#[repr(C)]
struct Header {
    /// The level-0 successor (null: last node).
    next: *const Node,
    /// The [`prefix`] of the successor's low key (0 if none).
    next_prefix: u64,
    /// Number of keys.
    len: u32,
    /// Number of append positions.
    appends: u32,
    /// Size of the whole block in bytes.
    size: u32,
    /// Offset of the value slots (right after the append positions, which
    /// start at [`APPENDS`]).
    slots: u32,
    /// Length of the prefix that all keys share, if at least 4 bytes (else 0).
    skip: u32,
    /// Offset of the `u32` key heads: the 4 bytes of each key after the
    /// shared prefix (`skip` bytes), big-endian, zero-padded.
    prefixes: u32,
    /// Offset of the `u32` end offsets of the keys within the key bytes.
    ends: u32,
    /// Offset of the keys' bytes, concatenated in order.
    keys: u32,
}

/// Offset of the append positions: right after the header, at their
/// alignment, so that a reader finds them on the header's cache line.
const APPENDS: usize = size_of::<Header>().next_multiple_of(align_of::<AppendPos>());

/// An immutable node revision in one allocation: a [`Header`], the append
/// positions, one value [`Slot`] per key, the keys' 4-byte prefixes, their
/// end offsets and their bytes. Replaced as a whole by one CAS on
/// [`Node::rev`] after every slot and append position is frozen.
///
/// The block after the header is a slice of `UnsafeCell` bytes, so that a
/// `&Rev` covers the whole block and permits the atomic writes of the slots
/// and append positions; the other areas are written once, before the block
/// is published.
#[repr(C)]
pub(super) struct Rev {
    head: Header,
    tail: [UnsafeCell<MaybeUninit<u8>>],
}

// SAFETY: `next` points to a node owned by the same map, which is `Sync`
// (atomics and immutable bytes) and outlives every revision reachable from
// it; the tail holds atomics (the slots) and bytes never written after
// publication.
unsafe impl Send for Rev {}
// SAFETY: as above.
unsafe impl Sync for Rev {}

/// The allocation layout of a revision block and its area offsets
/// (slots, prefixes, ends, keys).
fn layout(len: usize, appends: usize, keys_len: usize) -> (Layout, [usize; 4]) {
    let too_large = "node revision too large";
    let array = |n: usize, size: usize, align| Layout::from_size_align(n * size, align).expect(too_large);
    let head = Layout::from_size_align(APPENDS, Rev::ALIGN).expect(too_large);
    let (l, _) = head.extend(array(appends, size_of::<AppendPos>(), align_of::<AppendPos>())).expect(too_large);
    let (l, slots) = l.extend(array(len, size_of::<Slot>(), align_of::<Slot>())).expect(too_large);
    let (l, prefixes) = l.extend(array(len, 4, 4)).expect(too_large);
    let (l, ends) = l.extend(array(len, 4, 4)).expect(too_large);
    let (l, keys) = l.extend(array(keys_len, 1, 1)).expect(too_large);
    let l = l.pad_to_align();
    assert!(u32::try_from(l.size()).is_ok(), "node revision exceeds 4 GiB");
    (l, [slots, prefixes, ends, keys])
}

impl Pointable for Rev {
    const ALIGN: usize = {
        let slots =
            if align_of::<Slot>() > align_of::<AppendPos>() { align_of::<Slot>() } else { align_of::<AppendPos>() };
        if align_of::<Header>() > slots { align_of::<Header>() } else { slots }
    };

    /// Blocks are built by [`Rev::build`] only.
    type Init = std::convert::Infallible;

    unsafe fn init(init: Self::Init) -> usize {
        match init {}
    }

    unsafe fn deref<'a>(ptr: usize) -> &'a Self {
        // SAFETY: the caller passes a live block from `Rev::build`.
        unsafe { &*Rev::block(ptr) }
    }

    unsafe fn deref_mut<'a>(ptr: usize) -> &'a mut Self {
        // SAFETY: as in `deref`; the caller has exclusive access, and the
        // reference derives from the block pointer, not a shared reference.
        unsafe { &mut *Rev::block(ptr) }
    }

    unsafe fn drop(ptr: usize) {
        // SAFETY: the caller passes a live block from `Rev::build`, once; its
        // slots and append positions were initialised there and are dropped
        // here (not the values and entries they point to, which a revision
        // does not own once retired).
        unsafe {
            let head = (ptr as *const Header).read();
            let slots = (ptr as *mut u8).add(head.slots as usize).cast::<Slot>();
            std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(slots, head.len as usize));
            let appends = (ptr as *mut u8).add(APPENDS).cast::<AppendPos>();
            std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(appends, head.appends as usize));
            let keys_len = match head.len {
                0 => 0,
                n => (ptr as *const u8).add(head.ends as usize).cast::<u32>().add(n as usize - 1).read(),
            };
            let (layout, _) = layout(head.len as usize, head.appends as usize, keys_len as usize);
            std::alloc::dealloc(ptr as *mut u8, layout);
        }
    }
}

impl Rev {
    /// The wide pointer to the block at `ptr`.
    ///
    /// # Safety
    /// `ptr` must come from [`Rev::build`] and not be freed.
    unsafe fn block(ptr: usize) -> *mut Rev {
        // SAFETY: `build` wrote the header, whose `size` covers the block.
        let size = unsafe { (*(ptr as *const Header)).size } as usize;
        let tail = size - size_of::<Header>();
        std::ptr::slice_from_raw_parts_mut(ptr as *mut u8, tail) as *mut Rev
    }

    /// A revision of `entries` (sorted, distinct keys) followed by `next`,
    /// with `appends` empty append positions.
    pub(super) fn build<'g>(entries: &[(&[u8], Shared<'g, Raw>)], next: *const Node, appends: usize) -> Owned<Rev> {
        let len = entries.len();
        let keys_len: usize = entries.iter().map(|(k, _)| k.len()).sum();
        let (layout, [slots, prefixes, ends, keys]) = layout(len, appends, keys_len);
        // SAFETY: `next` is null or a node of the same map, which lives as long as the map.
        let next_prefix = unsafe { next.as_ref() }.map_or(0, |n| n.prefix);
        let u32_of = |n: usize| u32::try_from(n).expect("node revision exceeds 4 GiB");
        // The keys are sorted, so what the first and last share, all share.
        // A shared prefix shorter than the heads leaves them enough bytes
        // that tell keys apart, and is not worth a comparison of its own.
        let skip = match entries {
            [first, .., last] => Some(common_prefix_len(first.0, last.0)).filter(|&n| n >= 4).unwrap_or(0),
            _ => 0,
        };
        let head = Header {
            next,
            next_prefix,
            len: u32_of(len),
            skip: u32_of(skip),
            appends: u32_of(appends),
            size: u32_of(layout.size()),
            slots: u32_of(slots),
            prefixes: u32_of(prefixes),
            ends: u32_of(ends),
            keys: u32_of(keys),
        };
        // SAFETY: the layout has a non-zero size (at least the header).
        let base = unsafe { std::alloc::alloc(layout) };
        if base.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        // SAFETY: `base` is a fresh allocation of `layout`, aligned for the
        // header and the slots; every area lies inside it at an offset
        // aligned for its type (see `layout`), and each write stays within
        // its area. Padding bytes stay uninitialised and are never read.
        unsafe {
            base.cast::<Header>().write(head);
            let mut end = 0usize;
            for (i, (k, v)) in entries.iter().enumerate() {
                base.add(slots).cast::<Slot>().add(i).write(Slot::new(*v));
                base.add(prefixes).cast::<u32>().add(i).write(head_at(k, skip));
                std::ptr::copy_nonoverlapping(k.as_ptr(), base.add(keys + end), k.len());
                end += k.len();
                base.add(ends).cast::<u32>().add(i).write(end as u32);
            }
            for j in 0..appends {
                base.add(APPENDS).cast::<AppendPos>().add(j).write(Atomic::null());
            }
            // A live block from `build`, as `Owned::from_usize` requires.
            Owned::from_usize(base as usize)
        }
    }

    /// An immutable `[T]` area of `n` items at byte offset `off` of the block.
    fn area<T>(&self, off: u32, n: usize) -> &[T] {
        let base = (self as *const Rev).cast::<u8>();
        // SAFETY: `build` initialised `n` items of `T` at `off` (aligned for
        // `T`) inside the block `self` covers, and never writes them again.
        unsafe { std::slice::from_raw_parts(base.add(off as usize).cast::<T>(), n) }
    }

    /// Asks the CPU to load the revision's first two cache lines (header,
    /// append positions, first slots). A hint only.
    #[inline]
    pub(super) fn prefetch(&self) {
        let start = self as *const Rev as *const u8 as usize;
        prefetch_line(start);
        prefetch_line(start + 64);
    }

    /// Number of keys.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.head.len as usize
    }

    /// The value slots, one per key.
    #[inline]
    pub(super) fn slots(&self) -> &[Slot] {
        self.area(self.head.slots, self.len())
    }

    /// The append positions: a prefix of entries, then empty positions
    /// (null), each tagged `FROZEN` once the revision is being replaced.
    #[inline]
    fn append_area(&self) -> &[AppendPos] {
        self.area(APPENDS as u32, self.head.appends as usize)
    }

    /// The keys' bytes, concatenated.
    #[inline]
    fn key_bytes(&self) -> &[u8] {
        let len = self.ends().last().map_or(0, |&e| e as usize);
        self.area(self.head.keys, len)
    }

    /// The end offset of each key in the key bytes.
    #[inline]
    fn ends(&self) -> &[u32] {
        self.area(self.head.ends, self.len())
    }

    /// Key `i`.
    #[inline]
    pub(super) fn key(&self, i: usize) -> &[u8] {
        let ends = self.ends();
        let start = if i == 0 { 0 } else { ends[i - 1] as usize };
        &self.key_bytes()[start..ends[i] as usize]
    }

    /// The index of `key`, or where it would go: one comparison with the
    /// prefix all keys share, then a binary search over the 4-byte heads
    /// after it that reads a key's bytes only on a tie, so that keys with a
    /// long common prefix (`user:…`, `session:…`) cost no more than others.
    pub(super) fn find(&self, key: &[u8]) -> Result<usize, usize> {
        let len = self.len();
        let skip = self.head.skip as usize;
        if skip > 0 {
            // A key shorter than the shared prefix compares below it here,
            // as it should: it is below every key of the revision.
            match compare(&key[..skip.min(key.len())], &self.key(0)[..skip]) {
                std::cmp::Ordering::Less => return Err(0),
                std::cmp::Ordering::Greater => return Err(len),
                std::cmp::Ordering::Equal => {}
            }
        }
        let (kp, rest) = (head_at(key, skip), &key[skip..]);
        let prefixes = self.area::<u32>(self.head.prefixes, len);
        let (mut lo, mut hi) = (0, len);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match prefixes[mid].cmp(&kp).then_with(|| compare(&self.key(mid)[skip..], rest)) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// Whether the level-0 successor exists and its low key is at most
    /// `key` (whose [`prefix`] is `kp`); reads the successor only on a
    /// prefix tie.
    pub(super) fn next_covers(&self, kp: u64, key: &[u8]) -> Option<&Node> {
        let n = self.next()?;
        match kp.cmp(&self.head.next_prefix) {
            std::cmp::Ordering::Less => None,
            std::cmp::Ordering::Greater => Some(n),
            std::cmp::Ordering::Equal => compare(&n.low, key).is_le().then_some(n),
        }
    }

    /// The level-0 successor, if any.
    #[inline]
    pub(super) fn next(&self) -> Option<&Node> {
        // SAFETY: as in `Node::up`: nodes live as long as the map.
        unsafe { self.head.next.as_ref() }
    }

    /// The raw level-0 successor, for building a replacement.
    pub(super) fn next_ptr(&self) -> *const Node {
        self.head.next
    }

    /// Bytes this revision occupies on the heap (not its appended entries).
    pub(super) fn heap_bytes(&self) -> usize {
        self.head.size as usize
    }

    /// Where `key` stands in the append area.
    pub(super) fn find_appended<'g>(&'g self, key: &[u8], guard: &'g Guard) -> AppendSearch<'g> {
        for (j, pos) in self.append_area().iter().enumerate() {
            let p = pos.load(Ordering::SeqCst, guard);
            // SAFETY: an appended entry is retired through the epoch, after
            // the revision holding it was replaced, so it outlives `guard`.
            match unsafe { p.as_ref() } {
                Some(e) if e.key.as_slice() == key => return AppendSearch::Found(&e.slot),
                Some(_) => {}
                None if p.tag() == FROZEN => return AppendSearch::Closed,
                None => return AppendSearch::Free(j),
            }
        }
        AppendSearch::Full
    }

    /// Appends `key` with `value` at position `j` if it is still empty and
    /// open: one CAS, the insert's linearisation point. `at` is where the key
    /// goes among the sorted keys (`find`'s `Err`). On failure (someone
    /// appended there, or the revision is being replaced) drops both.
    pub(super) fn append(&self, j: usize, at: usize, key: &[u8], value: Shared<'_, Raw>, guard: &Guard) -> bool {
        let entry = Owned::new(Appended { slot: Slot::new(value), at: at as u32, key: key.into() });
        match self.append_area()[j].compare_exchange(Shared::null(), entry, Ordering::SeqCst, Ordering::SeqCst, guard) {
            Ok(_) => true,
            Err(e) => {
                let value = e.new.slot.take_raw();
                if !value.is_null() {
                    // SAFETY: the value was never published; we still own it.
                    drop(unsafe { value.into_owned() });
                }
                false
            }
        }
    }

    /// Closes the append area (idempotent) and returns its entries, in
    /// append order. After this no entry is appended to the revision.
    /// Freezing stops at the first empty position: positions fill in order
    /// (an append CASes the first empty one it saw), so once that one is
    /// frozen none after it can ever fill.
    pub(super) fn close_appends<'g>(&self, guard: &'g Guard) -> SmallVec<[Shared<'g, Appended>; 8]> {
        self.append_area()
            .iter()
            .map(|pos| pos.fetch_or(FROZEN, Ordering::SeqCst, guard).with_tag(0))
            .take_while(|p| !p.is_null())
            .collect()
    }

    /// The entries appended so far, in append order.
    pub(super) fn appended<'g>(&'g self, guard: &'g Guard) -> impl Iterator<Item = &'g Appended> + 'g {
        self.append_area().iter().map_while(|pos| {
            // SAFETY: as in `find_appended`.
            unsafe { pos.load(Ordering::SeqCst, guard).as_ref() }
        })
    }

    /// The appended entries, for dropping the map (no concurrent access).
    pub(super) fn take_appended(&self) -> impl Iterator<Item = Shared<'static, Appended>> + '_ {
        self.append_area().iter().map_while(|pos| {
            // SAFETY: the caller owns the revision; no other thread accesses it.
            let p = unsafe { pos.load(Ordering::Relaxed, crossbeam_epoch::unprotected()) }.with_tag(0);
            (!p.is_null()).then_some(p)
        })
    }
}

/// A key appended to a revision after its build, with its value slot: one
/// allocation, until the next replacement of the revision merges it into
/// the sorted keys (and retires it).
pub(super) struct Appended {
    /// The value cell, frozen like the revision's own slots.
    pub(super) slot: Slot,
    /// The index among the revision's sorted keys that the key goes before,
    /// so that a scan merges it without searching them.
    pub(super) at: u32,
    /// The key.
    pub(super) key: Key,
}

impl Appended {
    /// Bytes this entry occupies on the heap (its value not counted).
    pub(super) fn heap_bytes(&self) -> usize {
        size_of::<Appended>() + if self.key.spilled() { self.key.capacity() } else { 0 }
    }
}

/// One append position of a revision.
type AppendPos = Atomic<Appended>;

/// Where a key stands in a revision's append area ([`Rev::find_appended`]).
pub(super) enum AppendSearch<'g> {
    /// Appended: its value slot.
    Found(&'g Slot),
    /// Absent; position `j` is the first empty one.
    Free(usize),
    /// Absent, and every position is taken.
    Full,
    /// Absent, and the area is closed: the revision is being replaced.
    Closed,
}

/// The current revision of `node` under `guard`.
#[inline]
pub(super) fn current<'g>(node: &Node, guard: &'g Guard) -> (Shared<'g, Rev>, &'g Rev) {
    let p = node.rev.load(Ordering::SeqCst, guard);
    // SAFETY: a node's revision is never null; a replaced revision is retired
    // through the epoch, so it outlives `guard`.
    (p, unsafe { p.deref() })
}
