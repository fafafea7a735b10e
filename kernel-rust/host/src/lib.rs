// SPDX-License-Identifier: GPL-2.0

//! Host build of the syslet core modules that use no kernel types.
//!
//! The modules are the very files the series adds to `kernel/syslet/`,
//! included by path; the tests live beside this file.

#![allow(dead_code)]

#[path = "../../uword.rs"]
pub mod uword;

#[cfg(test)]
mod uword_tests;
