// SPDX-License-Identifier: GPL-2.0

//! Tests of `abi.rs`: layout, flag validation, stop rules, and agreement
//! with the uapi header the series adds.

use crate::abi::*;
use core::mem::{align_of, offset_of, size_of};

#[test]
fn atom_layout_matches_the_uapi_struct() {
    assert_eq!(size_of::<Atom>(), 80);
    assert_eq!(ATOM_SIZE, 80);
    assert_eq!(align_of::<Atom>(), 8);
    assert_eq!(offset_of!(Atom, flags), 0);
    assert_eq!(offset_of!(Atom, nr), 4);
    assert_eq!(offset_of!(Atom, ret_ptr), 8);
    assert_eq!(offset_of!(Atom, next), 16);
    assert_eq!(offset_of!(Atom, arg_ptr), 24);
    assert_eq!(offset_of!(Atom, private), 72);
}

#[test]
fn flag_values_match_the_uapi_header() {
    let header = include_str!("../../../include-uapi/linux/syslet.h");
    let value = |name: &str| -> u32 {
        let line = header
            .lines()
            .find(|l| l.starts_with("#define") && l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("{name} not in the header"));
        let v = line.split_whitespace().nth(2).unwrap();
        u32::from_str_radix(v.trim_start_matches("0x"), 16).unwrap()
    };
    let ours = [
        ("SYSLET_ASYNC", SYSLET_ASYNC),
        ("SYSLET_SYNC", SYSLET_SYNC),
        ("SYSLET_NO_COMPLETE", SYSLET_NO_COMPLETE),
        ("SYSLET_STOP_ON_NONZERO", SYSLET_STOP_ON_NONZERO),
        ("SYSLET_STOP_ON_ZERO", SYSLET_STOP_ON_ZERO),
        ("SYSLET_STOP_ON_NEGATIVE", SYSLET_STOP_ON_NEGATIVE),
        ("SYSLET_STOP_ON_NON_POSITIVE", SYSLET_STOP_ON_NON_POSITIVE),
        ("SYSLET_SKIP_TO_NEXT_ON_STOP", SYSLET_SKIP_TO_NEXT_ON_STOP),
    ];
    let mut all = 0;
    for (name, v) in ours {
        assert_eq!(value(name), v, "{name}");
        all |= v;
    }
    assert_eq!(all, SYSLET_ALL_FLAGS);
}

#[test]
fn flags_validation() {
    for bits in 0..=SYSLET_ALL_FLAGS {
        let both = bits & (SYSLET_ASYNC | SYSLET_SYNC) == SYSLET_ASYNC | SYSLET_SYNC;
        assert_eq!(AtomFlags::new(bits).is_ok(), !both, "{bits:#x}");
    }
    for bit in 8..32 {
        assert_eq!(AtomFlags::new(1 << bit), Err(InvalidFlags));
    }
}

#[test]
fn no_stop_flag_never_stops() {
    let f = AtomFlags::new(SYSLET_NO_COMPLETE | SYSLET_SKIP_TO_NEXT_ON_STOP).unwrap();
    for v in [i64::MIN, -1, 0, 1, i64::MAX] {
        assert!(!f.stops_on(v));
    }
}

#[test]
fn stop_flags_combine_as_a_union() {
    let f = AtomFlags::new(SYSLET_STOP_ON_ZERO | SYSLET_STOP_ON_NEGATIVE).unwrap();
    assert!(f.stops_on(0));
    assert!(f.stops_on(-5));
    assert!(!f.stops_on(5));
}

#[test]
fn skip_to_next_on_stop_accessor() {
    assert!(AtomFlags::new(SYSLET_SKIP_TO_NEXT_ON_STOP)
        .unwrap()
        .skip_to_next_on_stop());
    assert!(
        !AtomFlags::new(SYSLET_ALL_FLAGS & !SYSLET_SKIP_TO_NEXT_ON_STOP & !SYSLET_SYNC)
            .unwrap()
            .skip_to_next_on_stop()
    );
}
