// SPDX-License-Identifier: GPL-2.0

//! Where a 64-bit user word lives: its page and the offset inside it.
//!
//! Free of kernel types, so that it also builds on the host for `cargo test`.

/// Alignment of the words that `umem_add()` operates on.
pub(crate) const WORD_ALIGN: usize = core::mem::align_of::<u64>();

/// Why a user address cannot hold an atomic word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WordError {
    /// Not 8-byte aligned (`EINVAL`).
    Misaligned,
}

/// An aligned user word, split into its page and the offset in that page.
///
/// # Invariants
///
/// `offset` is a multiple of [`WORD_ALIGN`] and `offset + WORD_ALIGN` does
/// not exceed the page size it was computed for, so the word never straddles
/// two pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct WordLocation {
    /// Address of the page that holds the word.
    pub(crate) page_addr: usize,
    /// Byte offset of the word in that page.
    pub(crate) offset: usize,
}

impl WordLocation {
    /// Locates the word at `addr`; `page_size` must be a power of two of at
    /// least [`WORD_ALIGN`] bytes.
    pub(crate) fn new(addr: usize, page_size: usize) -> Result<Self, WordError> {
        debug_assert!(page_size.is_power_of_two() && page_size >= WORD_ALIGN);
        if addr % WORD_ALIGN != 0 {
            return Err(WordError::Misaligned);
        }
        // INVARIANT: `addr` is aligned and the page size is a multiple of the
        // alignment, so the aligned offset leaves room for a whole word.
        Ok(Self {
            page_addr: addr & !(page_size - 1),
            offset: addr & (page_size - 1),
        })
    }
}
