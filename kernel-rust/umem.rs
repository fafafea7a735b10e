// SPDX-License-Identifier: GPL-2.0

//! `umem_add()`: atomic addition to a 64-bit word of user memory.
//!
//! A `get_user()`/`put_user()` pair is not atomic against user-space atomics
//! or another `umem_add()`.  Instead the page holding the word is pinned for
//! writing, mapped, and the addition is a fully ordered atomic operation on
//! that mapping: the same physical memory that user space's atomics act on.
//! An aligned 8-byte word never straddles a page.

use crate::uword::{WordError, WordLocation};
use kernel::{
    bindings,
    page::PAGE_SIZE,
    prelude::*,
    sync::atomic::{Atomic, Full},
    uaccess::UserPtr,
};

/// One user page, pinned for writing.
///
/// # Invariants
///
/// `self.0` points to a page pinned by `pin_user_pages_fast()` with
/// `FOLL_WRITE`, and is unpinned only by [`Drop`].
struct PinnedPage(*mut bindings::page);

impl PinnedPage {
    /// Pins the user page that contains `addr` for writing.
    ///
    /// Fails with `EFAULT` for kernel addresses, unmapped or read-only
    /// memory, like any other user access would.
    fn pin_for_write(addr: usize) -> Result<Self> {
        let mut page: *mut bindings::page = core::ptr::null_mut();
        // SAFETY: `page` is valid for storing one page pointer, which is all
        // that is asked for.  `pin_user_pages_fast()` validates the address
        // range itself and rejects anything beyond `TASK_SIZE_MAX`.
        let ret =
            unsafe { bindings::pin_user_pages_fast(addr, 1, bindings::FOLL_WRITE, &mut page) };
        match ret {
            // INVARIANT: exactly one page was pinned, with FOLL_WRITE.
            1 => Ok(Self(page)),
            // An address range that overflows is just a bad address.
            err if err == -(bindings::EOVERFLOW as i32) => Err(EFAULT),
            err if err < 0 => Err(Error::from_errno(err)),
            _ => Err(EFAULT),
        }
    }

    /// Runs `f` on the atomic `u64` that `loc` locates in this page.
    fn with_word<R>(&self, loc: WordLocation, f: impl FnOnce(&Atomic<u64>) -> R) -> R {
        // SAFETY: by the type invariant the page is pinned, so it stays
        // valid while it is mapped here.
        let base = unsafe { bindings::kmap_local_page(self.0) };
        // SAFETY: `base` maps a whole page, and by the invariant of
        // `WordLocation` (computed for `PAGE_SIZE`) the word is aligned and
        // lies entirely inside it.  Every other access to the word is
        // atomic (user-space atomics or this function), and plain user
        // stores cannot tear an aligned word, so there is no data race.
        let word = unsafe { Atomic::from_ptr(base.cast::<u8>().add(loc.offset).cast::<u64>()) };
        let ret = f(word);
        // SAFETY: `base` was returned by `kmap_local_page()` above and is
        // unmapped exactly once, in the same context.
        unsafe { bindings::kunmap_local(base) };
        ret
    }
}

impl Drop for PinnedPage {
    fn drop(&mut self) {
        let mut page = self.0;
        // SAFETY: by the type invariant `page` is pinned and this is the only
        // place that unpins it.  It was pinned for writing and may have been
        // written, so it is marked dirty.
        unsafe { bindings::unpin_user_pages_dirty_lock(&mut page, 1, true) };
    }
}

/// Atomically adds `inc` to the `u64` at `uptr`; returns the new value.
///
/// Errors: `EINVAL` if `uptr` is not 8-byte aligned, `EFAULT` if it cannot be
/// written (NULL, kernel address, unmapped or read-only).
pub(crate) fn umem_add(uptr: UserPtr, inc: u64) -> Result<u64> {
    let loc = WordLocation::new(uptr.as_const_ptr() as usize, PAGE_SIZE).map_err(|e| match e {
        WordError::Misaligned => EINVAL,
    })?;
    let page = PinnedPage::pin_for_write(loc.page_addr)?;
    let old = page.with_word(loc, |word| word.fetch_add(inc, Full));
    Ok(old.wrapping_add(inc))
}
