//! Resolving on a large repository: building a pool from parsed packages, writing and
//! loading the `.solv` cache, and solving a request, the way `rpmlock lock` does.
//!
//! `RPMLOCK_BENCH_PRIMARY=/path/to/primary.xml.gz [RPMLOCK_BENCH_SPECS="nginx python3 gcc"]
//! [RPMLOCK_BENCH_ARCH=x86_64] cargo bench -p rpmlock-core --bench solve`. Without the
//! variable the bench prints a note and does nothing.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::Criterion;
use rpmlock_core::repo::{open_decompressed, parse_primary};
use rpmlock_core::solve::{RepoSource, SolveRepo, SolveRequest, solve, write_solv};

fn main() {
    let Some(path) = std::env::var_os("RPMLOCK_BENCH_PRIMARY").map(PathBuf::from) else {
        eprintln!("solve: RPMLOCK_BENCH_PRIMARY is not set; skipping");
        return;
    };
    let specs: Vec<String> = std::env::var("RPMLOCK_BENCH_SPECS")
        .unwrap_or_else(|_| "nginx python3 gcc".into())
        .split_whitespace()
        .map(str::to_string)
        .collect();
    let arch = std::env::var("RPMLOCK_BENCH_ARCH").unwrap_or_else(|_| "x86_64".into());
    let origin = path.display().to_string();
    let (_, reader) = open_decompressed(&path).expect("open RPMLOCK_BENCH_PRIMARY");
    let packages = parse_primary(reader, &origin).expect("parse");
    let dir = tempfile::tempdir().unwrap();
    let solv = dir.path().join("bench.solv");
    write_solv("bench", &packages, None, &solv).expect("write .solv");

    let request =
        |source| SolveRequest::new(&arch, vec![SolveRepo::new("bench", source)], specs.clone());
    let from_records = request(RepoSource::Packages {
        packages: &packages,
        filelists: None,
    });
    let from_solv = request(RepoSource::Solv(&solv));
    let n = solve(&from_solv)
        .expect("the request resolves")
        .packages
        .len();
    eprintln!(
        "solve: {} packages in the repo, {n} to install for {specs:?}",
        packages.len()
    );

    let mut c = Criterion::default().configure_from_args().sample_size(10);
    let mut g = c.benchmark_group("solve");
    g.bench_function("write .solv from parsed packages", |b| {
        b.iter(|| {
            write_solv(
                "bench",
                black_box(&packages),
                None,
                &dir.path().join("w.solv"),
            )
            .unwrap()
        })
    });
    g.bench_function("pool from parsed packages + solve (cold)", |b| {
        b.iter(|| solve(black_box(&from_records)).unwrap())
    });
    g.bench_function("pool from .solv + solve (warm)", |b| {
        b.iter(|| solve(black_box(&from_solv)).unwrap())
    });
    g.finish();
    c.final_summary();
}
