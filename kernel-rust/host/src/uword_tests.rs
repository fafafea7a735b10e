// SPDX-License-Identifier: GPL-2.0

//! Tests of `uword.rs`: locating an aligned user word in its page.

use crate::uword::{WordError, WordLocation, WORD_ALIGN};

const PAGE_4K: usize = 4096;
const PAGE_64K: usize = 65536;

#[test]
fn aligned_addresses_split_into_page_and_offset() {
    let loc = WordLocation::new(0x7f00_1234_5678, PAGE_4K).unwrap();
    assert_eq!(loc.page_addr, 0x7f00_1234_5000);
    assert_eq!(loc.offset, 0x678);
    let loc = WordLocation::new(0x7f00_1234_5678, PAGE_64K).unwrap();
    assert_eq!(loc.page_addr, 0x7f00_1234_0000);
    assert_eq!(loc.offset, 0x5678);
}

#[test]
fn every_misaligned_offset_is_rejected() {
    for base in [0usize, 0x1000, 0x7fff_ffff_f000] {
        for off in 1..WORD_ALIGN {
            assert_eq!(
                WordLocation::new(base + off, PAGE_4K),
                Err(WordError::Misaligned),
                "address {:#x}",
                base + off
            );
        }
    }
}

#[test]
fn null_and_top_of_address_space_are_only_located() {
    // Whether they are mapped is the kernel's business (EFAULT), not this
    // module's: they are aligned, so they are located.
    assert_eq!(
        WordLocation::new(0, PAGE_4K),
        Ok(WordLocation {
            page_addr: 0,
            offset: 0
        })
    );
    let top = usize::MAX - 7;
    let loc = WordLocation::new(top, PAGE_4K).unwrap();
    assert_eq!(loc.page_addr, usize::MAX & !(PAGE_4K - 1));
    assert_eq!(loc.offset, PAGE_4K - WORD_ALIGN);
}

#[test]
fn a_word_never_straddles_a_page() {
    for page_size in [PAGE_4K, 16384, PAGE_64K] {
        for addr in (0..3 * page_size).step_by(WORD_ALIGN) {
            let loc = WordLocation::new(addr, page_size).unwrap();
            assert_eq!(loc.page_addr % page_size, 0);
            assert_eq!(loc.page_addr + loc.offset, addr);
            assert!(loc.offset + WORD_ALIGN <= page_size);
        }
    }
}
