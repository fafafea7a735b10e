// SPDX-License-Identifier: GPL-2.0

//! Tests of `interp.rs` against the mock kernel of `mock.rs`.

use crate::abi::*;
use crate::interp::{run_chain, ChainError};
use crate::mock::*;

/// Atom slots and data words in the mock memory.
fn atom_at(i: u64) -> u64 {
    BASE + i * ATOM_SIZE
}
fn word(i: u64) -> u64 {
    BASE + 0x8000 + 8 * i
}

fn atom(nr: u32, flags: u32, ret: u64, next: u64, args: &[u64]) -> Atom {
    let mut a = Atom {
        flags,
        nr,
        ret_ptr: ret,
        next,
        ..Default::default()
    };
    a.arg_ptr[..args.len()].copy_from_slice(args);
    a
}

/// NR_RET atom returning the value stored at `word(w)`.
fn ret_atom(w: u64, flags: u32, ret: u64, next: u64) -> Atom {
    atom(NR_RET, flags, ret, next, &[word(w)])
}

#[test]
fn single_atom_runs_and_stores_its_result() {
    let mut m = Mock::new();
    m.poke(word(0), 40);
    m.poke(word(1), 2);
    m.put_atom(
        atom_at(0),
        &atom(NR_ADD, 0, word(9), 0, &[word(0), word(1)]),
    );
    assert_eq!(run_chain(&mut m, atom_at(0)), Ok(atom_at(0)));
    assert_eq!(m.load(word(9)), Ok(42));
    assert_eq!(m.boundaries, 0);
}

#[test]
fn chain_runs_in_order_and_returns_the_last_atom() {
    let mut m = Mock::new();
    for i in 0..3 {
        let next = if i < 2 { atom_at(i + 1) } else { 0 };
        m.put_atom(atom_at(i), &atom(NR_SEQ, 0, word(10 + i), next, &[]));
    }
    assert_eq!(run_chain(&mut m, atom_at(0)), Ok(atom_at(2)));
    for i in 0..3 {
        assert_eq!(m.load(word(10 + i)), Ok(i + 1));
    }
    assert_eq!(m.boundaries, 2);
}

#[test]
fn zero_ret_ptr_discards_the_result() {
    let mut m = Mock::new();
    let before = m.mem.clone();
    m.put_atom(atom_at(0), &atom(NR_SEQ, 0, 0, 0, &[]));
    let with_atom = m.mem.clone();
    assert_eq!(run_chain(&mut m, atom_at(0)), Ok(atom_at(0)));
    assert_eq!(m.mem, with_atom);
    assert_ne!(before, with_atom);
}

#[test]
fn first_null_arg_pointer_ends_the_argument_list() {
    let mut m = Mock::new();
    for i in 0..6 {
        m.poke(word(i), 100 + i);
    }
    let ptrs = [word(0), word(1), 0, word(3), word(4), word(5)];
    m.put_atom(atom_at(0), &atom(NR_SEQ, 0, 0, 0, &ptrs));
    run_chain(&mut m, atom_at(0)).unwrap();
    assert_eq!(m.calls[0].1, [100, 101, 0, 0, 0, 0]);

    let mut m = Mock::new();
    for i in 0..6 {
        m.poke(word(i), 100 + i);
    }
    let ptrs: Vec<u64> = (0..6).map(word).collect();
    m.put_atom(atom_at(0), &atom(NR_SEQ, 0, 0, 0, &ptrs));
    run_chain(&mut m, atom_at(0)).unwrap();
    assert_eq!(m.calls[0].1, [100, 101, 102, 103, 104, 105]);
}

#[test]
fn arguments_are_loaded_when_the_atom_runs() {
    let mut m = Mock::new();
    m.poke(word(0), 1); // counter
    m.poke(word(1), 5); // increment
    m.put_atom(
        atom_at(0),
        &atom(NR_UMEM_ADD, 0, 0, atom_at(1), &[word(2), word(1)]),
    );
    m.poke(word(2), word(0)); // arg 0 of the umem_add: &counter
    m.put_atom(atom_at(1), &ret_atom(0, 0, word(9), 0));
    assert_eq!(run_chain(&mut m, atom_at(0)), Ok(atom_at(1)));
    assert_eq!(m.load(word(0)), Ok(6));
    // The second atom saw the counter as the first one left it.
    assert_eq!(m.load(word(9)), Ok(6));
}

#[test]
fn each_stop_flag_ends_the_chain_on_its_results_only() {
    let cases: [(u32, fn(i64) -> bool); 4] = [
        (SYSLET_STOP_ON_NONZERO, |r| r != 0),
        (SYSLET_STOP_ON_ZERO, |r| r == 0),
        (SYSLET_STOP_ON_NEGATIVE, |r| r < 0),
        (SYSLET_STOP_ON_NON_POSITIVE, |r| r <= 0),
    ];
    for (flag, stops) in cases {
        for val in [i64::MIN, -1, 0, 1, i64::MAX] {
            let mut m = Mock::new();
            m.poke(word(0), val as u64);
            m.put_atom(atom_at(0), &ret_atom(0, flag, word(9), atom_at(1)));
            m.put_atom(atom_at(1), &atom(NR_SEQ, 0, 0, 0, &[]));
            let end = if stops(val) { atom_at(0) } else { atom_at(1) };
            assert_eq!(
                run_chain(&mut m, atom_at(0)),
                Ok(end),
                "flag {flag:#x} value {val}"
            );
            assert_eq!(m.load(word(9)), Ok(val as u64));
            assert_eq!(m.calls_of(NR_SEQ), usize::from(!stops(val)));
        }
    }
}

#[test]
fn skip_to_next_on_stop_branches_to_the_following_atom() {
    // atom 0: stop on zero, skip; next = atom 5.  atom 1 and atom 5 record.
    for (val, taken) in [(0u64, 1u64), (7, 5)] {
        let mut m = Mock::new();
        m.poke(word(0), val);
        let flags = SYSLET_STOP_ON_ZERO | SYSLET_SKIP_TO_NEXT_ON_STOP;
        m.put_atom(atom_at(0), &ret_atom(0, flags, 0, atom_at(5)));
        m.put_atom(atom_at(1), &atom(NR_SEQ, 0, word(1), 0, &[]));
        m.put_atom(atom_at(5), &atom(NR_SEQ, 0, word(5), 0, &[]));
        assert_eq!(run_chain(&mut m, atom_at(0)), Ok(atom_at(taken)));
        assert_eq!(m.load(word(taken)), Ok(2));
        assert_eq!(m.calls_of(NR_SEQ), 1);
    }
}

#[test]
fn skip_past_the_end_of_memory_faults() {
    let mut m = Mock::new();
    let last = BASE + SIZE - ATOM_SIZE;
    m.put_atom(
        last,
        &atom(
            NR_SEQ,
            SYSLET_STOP_ON_NONZERO | SYSLET_SKIP_TO_NEXT_ON_STOP,
            0,
            0,
            &[],
        ),
    );
    assert_eq!(run_chain(&mut m, last), Err(ChainError::Fault));
    assert_eq!(m.calls_of(NR_SEQ), 1);
}

/// read(fd, buf, 100) until EOF, adding each count to a total with
/// umem_add: the canonical syslet loop.
fn read_loop(m: &mut Mock, file_len: u64) -> Result<u64, ChainError> {
    const RET: u64 = 20; // word: result of read
    const TOTAL: u64 = 21; // word: byte count
    const TOTAL_PTR: u64 = 22; // word: &total
    const LEN: u64 = 23; // word: 100
    m.file_left = file_len;
    m.poke(word(LEN), 100);
    m.poke(word(TOTAL_PTR), word(TOTAL));
    m.put_atom(
        atom_at(0),
        &atom(
            NR_READ,
            SYSLET_STOP_ON_NON_POSITIVE,
            word(RET),
            atom_at(1),
            &[word(LEN), word(LEN), word(LEN)],
        ),
    );
    m.put_atom(
        atom_at(1),
        &atom(
            NR_UMEM_ADD,
            SYSLET_NO_COMPLETE,
            0,
            atom_at(0),
            &[word(TOTAL_PTR), word(RET)],
        ),
    );
    run_chain(m, atom_at(0))
}

#[test]
fn read_until_eof_loop_counts_every_byte() {
    let mut m = Mock::new();
    assert_eq!(read_loop(&mut m, 1234), Ok(atom_at(0)));
    assert_eq!(m.load(word(21)), Ok(1234));
    assert_eq!(m.calls_of(NR_READ), 14); // 12 full, 1 partial, 1 at EOF
    assert_eq!(m.load(word(20)), Ok(0));
}

#[test]
fn pending_signal_ends_a_loop_at_a_boundary() {
    let mut m = Mock::new();
    m.interrupt_at = Some(5);
    // Boundaries alternate read -> add -> read ...; the 5th follows a read.
    assert_eq!(read_loop(&mut m, 1 << 20), Ok(atom_at(0)));
    assert_eq!(m.calls_of(NR_READ), 3);
    assert_eq!(m.calls_of(NR_UMEM_ADD), 2);
    assert_eq!(m.load(word(21)), Ok(200));
    // The chain can be resumed where it stopped: after the read, its add.
    m.interrupt_at = None;
    assert_eq!(run_chain(&mut m, atom_at(1)), Ok(atom_at(0)));
    assert_eq!(m.load(word(21)), Ok(1 << 20));
}

#[test]
fn fatal_signal_kills_an_endless_loop() {
    let mut m = Mock::new();
    m.put_atom(atom_at(0), &atom(NR_SEQ, 0, 0, atom_at(0), &[]));
    m.kill_at = Some(1000);
    assert_eq!(run_chain(&mut m, atom_at(0)), Err(ChainError::Killed));
    assert_eq!(m.calls.len(), 1000);
}

#[test]
fn bad_first_atom_faults_without_running_anything() {
    for addr in [0, 8, BASE - ATOM_SIZE, BASE + SIZE - 8, u64::MAX - 8] {
        let mut m = Mock::new();
        assert_eq!(run_chain(&mut m, addr), Err(ChainError::Fault), "{addr:#x}");
        assert!(m.calls.is_empty());
    }
}

#[test]
fn bad_next_faults_and_keeps_earlier_results() {
    let mut m = Mock::new();
    m.put_atom(atom_at(0), &atom(NR_SEQ, 0, word(0), atom_at(1), &[]));
    m.put_atom(atom_at(1), &atom(NR_SEQ, 0, word(1), 0xdead_0000, &[]));
    assert_eq!(run_chain(&mut m, atom_at(0)), Err(ChainError::Fault));
    assert_eq!(m.load(word(0)), Ok(1));
    assert_eq!(m.load(word(1)), Ok(2));
}

#[test]
fn bad_argument_pointer_faults_before_the_call() {
    for bad in [8, BASE + SIZE - 4, u64::MAX] {
        let mut m = Mock::new();
        m.put_atom(atom_at(0), &atom(NR_SEQ, 0, word(0), atom_at(1), &[]));
        m.put_atom(atom_at(1), &atom(NR_SEQ, 0, word(1), 0, &[word(5), bad]));
        assert_eq!(run_chain(&mut m, atom_at(0)), Err(ChainError::Fault));
        assert_eq!(m.calls.len(), 1);
        assert_eq!(m.load(word(0)), Ok(1));
        assert_eq!(m.load(word(1)), Ok(0));
    }
}

#[test]
fn bad_result_pointer_faults_after_the_call() {
    for bad in [8, RO_START, BASE + SIZE] {
        let mut m = Mock::new();
        m.poke(word(0), 0);
        m.poke(word(1), 1);
        m.poke(word(2), word(0));
        m.put_atom(
            atom_at(0),
            &atom(NR_UMEM_ADD, 0, bad, atom_at(1), &[word(2), word(1)]),
        );
        m.put_atom(atom_at(1), &atom(NR_SEQ, 0, 0, 0, &[]));
        assert_eq!(run_chain(&mut m, atom_at(0)), Err(ChainError::Fault));
        // The system call ran (its side effect stays); the chain did not go on.
        assert_eq!(m.load(word(0)), Ok(1));
        assert_eq!(m.calls_of(NR_SEQ), 0);
    }
}

#[test]
fn invalid_flags_fail_before_the_call() {
    for flags in [0x100, 0x8000_0000, SYSLET_ASYNC | SYSLET_SYNC] {
        let mut m = Mock::new();
        m.put_atom(atom_at(0), &atom(NR_SEQ, 0, word(0), atom_at(1), &[]));
        m.put_atom(atom_at(1), &atom(NR_SEQ, flags, word(1), 0, &[]));
        assert_eq!(run_chain(&mut m, atom_at(0)), Err(ChainError::InvalidFlags));
        assert_eq!(m.calls.len(), 1);
        assert_eq!(m.load(word(0)), Ok(1));
    }
    for flags in [
        SYSLET_ASYNC,
        SYSLET_SYNC,
        SYSLET_ALL_FLAGS & !(SYSLET_ASYNC | SYSLET_SKIP_TO_NEXT_ON_STOP),
    ] {
        let mut m = Mock::new();
        m.put_atom(atom_at(0), &atom(NR_SEQ, flags, 0, 0, &[]));
        assert_eq!(run_chain(&mut m, atom_at(0)), Ok(atom_at(0)));
    }
}

#[test]
fn refused_call_stores_enosys_and_ends_the_chain() {
    let mut m = Mock::new();
    m.put_atom(atom_at(0), &atom(NR_FORBIDDEN, 0, word(0), atom_at(1), &[]));
    m.put_atom(atom_at(1), &atom(NR_SEQ, 0, 0, 0, &[]));
    assert_eq!(run_chain(&mut m, atom_at(0)), Ok(atom_at(0)));
    assert_eq!(m.load(word(0)), Ok((-ENOSYS) as u64));
    assert_eq!(m.calls_of(NR_SEQ), 0);
}

#[test]
fn atoms_are_never_written() {
    let mut m = Mock::new();
    let mut a = atom(NR_SEQ, SYSLET_NO_COMPLETE, word(0), 0, &[]);
    a.private = 0x1234_5678_9abc_def0;
    m.put_atom(atom_at(0), &a);
    let before = m.mem[..ATOM_SIZE as usize].to_vec();
    run_chain(&mut m, atom_at(0)).unwrap();
    assert_eq!(m.mem[..ATOM_SIZE as usize], before[..]);
}

/// xorshift64*: a small deterministic generator for the random graphs.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random atom graphs (random flags, numbers, links, argument and result
/// pointers, some of them bad) never panic, and every run ends within the
/// bound the boundary callback enforces.
#[test]
fn random_atom_graphs_never_panic_and_terminate() {
    const ATOMS: u64 = 16;
    const BOUND: usize = 500;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut outcomes = [0usize; 4];
    for _ in 0..20_000 {
        let mut m = Mock::new();
        m.kill_at = Some(BOUND);
        let ptr = |rng: &mut Rng| match rng.below(10) {
            0 => 0,
            1 => rng.next(),
            2 => RO_START + 8 * rng.below(8),
            3 => atom_at(rng.below(ATOMS)) + rng.below(ATOM_SIZE),
            _ => word(rng.below(32)),
        };
        for i in 0..ATOMS {
            let flags = if rng.below(8) == 0 {
                rng.next() as u32
            } else {
                rng.next() as u32 & SYSLET_ALL_FLAGS & !SYSLET_SYNC
            };
            let next = match rng.below(6) {
                0 => 0,
                1 => ptr(&mut rng),
                _ => atom_at(rng.below(ATOMS)),
            };
            let args: Vec<u64> = (0..6).map(|_| ptr(&mut rng)).collect();
            let nr =
                [NR_ADD, NR_UMEM_ADD, NR_RET, NR_READ, NR_SEQ, NR_FORBIDDEN][rng.below(6) as usize];
            m.put_atom(atom_at(i), &atom(nr, flags, ptr(&mut rng), next, &args));
        }
        for i in 0..32 {
            let v = if rng.below(2) == 0 {
                rng.next()
            } else {
                rng.below(4)
            };
            m.poke(word(i), v);
        }
        m.file_left = rng.below(1000);
        let start = if rng.below(10) == 0 {
            ptr(&mut rng)
        } else {
            atom_at(0)
        };
        let res = run_chain(&mut m, start);
        assert!(m.calls.len() <= BOUND, "ran {} atoms", m.calls.len());
        assert!(m.boundaries < BOUND || res == Err(ChainError::Killed));
        match res {
            Ok(end) => {
                assert!(end >= BASE && end < BASE + SIZE);
                outcomes[0] += 1;
            }
            Err(ChainError::Fault) => outcomes[1] += 1,
            Err(ChainError::InvalidFlags) => outcomes[2] += 1,
            Err(ChainError::Killed) => outcomes[3] += 1,
            Err(ChainError::SeccompKill { .. }) => unreachable!(),
        }
    }
    // The generator reaches every outcome.
    assert!(outcomes.iter().all(|&n| n > 100), "{outcomes:?}");
}

#[test]
fn start_sees_the_first_atoms_flags_once_and_atom_done_every_atom_but_the_last() {
    let mut m = Mock::new();
    let flags = [
        SYSLET_ASYNC,
        SYSLET_NO_COMPLETE,
        SYSLET_SYNC | SYSLET_NO_COMPLETE,
    ];
    for (i, &f) in flags.iter().enumerate() {
        let next = if i + 1 < flags.len() {
            atom_at(i as u64 + 1)
        } else {
            0
        };
        m.put_atom(atom_at(i as u64), &ret_atom(0, f, 0, next));
    }
    assert_eq!(run_chain(&mut m, atom_at(0)), Ok(atom_at(2)));
    assert_eq!(m.started, vec![AtomFlags::new(SYSLET_ASYNC).unwrap()]);
    assert_eq!(
        m.done,
        vec![
            (atom_at(0), AtomFlags::new(SYSLET_ASYNC).unwrap()),
            (atom_at(1), AtomFlags::new(SYSLET_NO_COMPLETE).unwrap()),
        ]
    );
}

#[test]
fn an_atom_interrupted_at_the_boundary_is_the_end_and_not_reported_done() {
    let mut m = Mock::new();
    m.put_atom(atom_at(0), &ret_atom(0, 0, 0, atom_at(1)));
    m.put_atom(atom_at(1), &ret_atom(0, 0, 0, 0));
    m.interrupt_at = Some(1);
    assert_eq!(run_chain(&mut m, atom_at(0)), Ok(atom_at(0)));
    assert!(m.done.is_empty());
    assert_eq!(m.started.len(), 1);
}

#[test]
fn invalid_flags_on_the_first_atom_never_reach_start() {
    let mut m = Mock::new();
    m.put_atom(atom_at(0), &ret_atom(0, SYSLET_ASYNC | SYSLET_SYNC, 0, 0));
    assert_eq!(run_chain(&mut m, atom_at(0)), Err(ChainError::InvalidFlags));
    assert!(m.started.is_empty());
}

#[test]
fn a_misaligned_atom_is_invalid_and_runs_nothing() {
    let mut m = Mock::new();
    m.put_atom(atom_at(0) + 4, &atom(NR_SEQ, 0, 0, 0, &[]));
    assert_eq!(
        run_chain(&mut m, atom_at(0) + 4),
        Err(ChainError::InvalidFlags)
    );
    assert_eq!(m.calls_of(NR_SEQ), 0);
    // Also when reached through `next`.
    m.put_atom(atom_at(1), &atom(NR_SEQ, 0, 0, atom_at(2) + 1, &[]));
    assert_eq!(run_chain(&mut m, atom_at(1)), Err(ChainError::InvalidFlags));
    assert_eq!(m.calls_of(NR_SEQ), 1);
}

#[test]
fn a_seccomp_kill_ends_the_chain_without_storing_a_result() {
    let mut m = Mock::new();
    m.poke(word(0), 7);
    m.put_atom(atom_at(0), &atom(NR_KILLED, 0, word(0), atom_at(1), &[]));
    m.put_atom(atom_at(1), &atom(NR_SEQ, 0, 0, 0, &[]));
    assert_eq!(
        run_chain(&mut m, atom_at(0)),
        Err(ChainError::SeccompKill {
            nr: NR_KILLED,
            how: 0x8000_0000
        })
    );
    assert_eq!(m.load(word(0)), Ok(7));
    assert_eq!(m.calls_of(NR_SEQ), 0);
}
