//! Large arrays on transparent huge pages.
//!
//! A CSR of a few million edges is hundreds of megabytes written once, in
//! parallel, right after allocation: with 4 KiB pages its first touch
//! costs one page fault per 4 KiB (a third of a bulk load's time). Linux
//! backs a range advised with `MADV_HUGEPAGE` by 2 MiB pages where it can
//! (`transparent_hugepage` set to `madvise` or `always`); elsewhere the
//! advice is a no-op.

/// Bytes of a huge page (x86_64 and aarch64 Linux with 4 KiB base pages).
#[cfg(all(target_os = "linux", not(miri)))]
const HUGE_PAGE: usize = 2 << 20;

/// Allocations below this many bytes are left alone.
#[cfg(all(target_os = "linux", not(miri)))]
const MIN_BYTES: usize = 2 * HUGE_PAGE;

/// Asks the kernel to back the whole huge pages inside `v`'s allocation
/// with huge pages. A hint: the contents stay as they are, and a kernel
/// that declines (THP off) changes nothing.
fn advise_huge<T>(v: &mut Vec<T>) {
    #[cfg(all(target_os = "linux", not(miri)))]
    {
        let bytes = v.capacity().saturating_mul(size_of::<T>());
        if bytes < MIN_BYTES {
            return;
        }
        let start = v.as_mut_ptr() as usize;
        let (lo, hi) = (start.next_multiple_of(HUGE_PAGE), (start + bytes) / HUGE_PAGE * HUGE_PAGE);
        if lo < hi {
            // MADV_HUGEPAGE changes neither the range's contents nor its
            // protection, only how the kernel backs its pages; a failure
            // (EINVAL where THP is compiled out) leaves it as it was.
            // SAFETY: `lo..hi` lies within `v`'s allocation, which we hold mutably.
            unsafe { libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(all(target_os = "linux", not(miri))))]
    let _ = v;
}

/// `len` copies of `T::default()` (zeros, for the numbers a CSR holds) in
/// an allocation advised for huge pages (see [`advise_huge`]). Zeroed
/// allocations of this size come untouched from the kernel, so the advice
/// is in place before the caller's first write.
pub(crate) fn filled<T: Clone + Default>(len: usize) -> Vec<T> {
    let mut v = vec![T::default(); len];
    advise_huge(&mut v);
    v
}

/// An empty vector with room for `len` elements, advised for huge pages.
pub(crate) fn with_capacity<T>(len: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    advise_huge(&mut v);
    v
}

#[cfg(test)]
mod tests {
    /// The advised vectors hold what they were made with, small or large.
    #[test]
    fn advised_vectors_keep_their_contents() {
        // Miri interprets (and never advises): small vectors only there.
        let lens: &[usize] = if cfg!(miri) { &[0, 1, 1000] } else { &[0, 1, 1000, 3 << 20] };
        for &len in lens {
            let v: Vec<u64> = super::filled(len);
            assert_eq!(v.len(), len);
            assert!(v.iter().all(|&x| x == 0));
            let mut w: Vec<u32> = super::with_capacity(len);
            assert!(w.capacity() >= len);
            w.extend((0..len as u32).rev());
            assert!(w.iter().rev().enumerate().all(|(i, &x)| x == i as u32));
        }
    }
}
