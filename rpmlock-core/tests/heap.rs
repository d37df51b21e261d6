//! `solve::tune_process_heap` then `solve::heap_for_cached_pools`, as the CLI calls
//! them: the heap gets a mapping advised for transparent huge pages, and large
//! blocks come from it. A process of its own (no test harness), so that the tuning
//! runs before any other thread, as its contract requires.

use std::process::ExitCode;

/// Whether the mapping of `/proc/self/smaps` holding `addr` (any mapping when
/// `None`) carries the `hg` flag (`MADV_HUGEPAGE`).
fn advised(addr: Option<usize>) -> bool {
    let smaps = std::fs::read_to_string("/proc/self/smaps").expect("/proc/self/smaps");
    let mut holds = false;
    for line in smaps.lines() {
        let range = line
            .split_whitespace()
            .next()
            .and_then(|r| r.split_once('-'))
            .and_then(|(lo, hi)| {
                Some((
                    usize::from_str_radix(lo, 16).ok()?,
                    usize::from_str_radix(hi, 16).ok()?,
                ))
            });
        if let Some((lo, hi)) = range {
            holds = addr.is_none_or(|a| (lo..hi).contains(&a));
        } else if line.starts_with("VmFlags:")
            && holds
            && line.split_whitespace().any(|f| f == "hg")
        {
            return true;
        }
    }
    false
}

fn main() -> ExitCode {
    let applicable = cfg!(all(target_os = "linux", target_env = "gnu"))
        && std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists()
        && !std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("glibc.malloc."));
    if !applicable {
        println!("heap: skipped (not glibc, no transparent huge pages, or malloc tuned)");
        return ExitCode::SUCCESS;
    }
    rpmlock_core::solve::tune_process_heap();
    if advised(None) {
        eprintln!("heap: a mapping is advised for huge pages before any cached pool");
        return ExitCode::FAILURE;
    }
    rpmlock_core::solve::heap_for_cached_pools();
    if !advised(None) {
        eprintln!("heap: no mapping is advised for huge pages after heap_for_cached_pools");
        return ExitCode::FAILURE;
    }
    // A block past glibc's default mmap threshold comes from the advised heap (its
    // start may lie before the first 2 MiB boundary, where the advice starts).
    let block = std::hint::black_box(vec![1u8; 8 << 20]);
    if !advised(Some(block.as_ptr() as usize + block.len() - 1)) {
        eprintln!("heap: an 8 MiB block lies outside the advised heap");
        return ExitCode::FAILURE;
    }
    println!("heap: ok");
    ExitCode::SUCCESS
}
