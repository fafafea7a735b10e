// SPDX-License-Identifier: GPL-2.0

//! Host build of the syslet core modules that use no kernel types.
//!
//! The modules are the very files the series adds to `kernel/syslet/`,
//! included by path; the tests and the mock kernel live beside this file.

#![allow(dead_code)]

#[path = "../../abi.rs"]
pub mod abi;
#[path = "../../interp.rs"]
pub mod interp;
#[path = "../../ring.rs"]
pub mod ring;
#[path = "../../uword.rs"]
pub mod uword;

#[cfg(test)]
mod abi_tests;
#[cfg(test)]
mod interp_tests;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod ring_tests;
#[cfg(test)]
mod uword_tests;
