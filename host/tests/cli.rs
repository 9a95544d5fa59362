//! The command line: upstream's precedence rules (upstream-convertor.md §1.1) and one clear line
//! with a non-zero exit for every flag error.

mod common;

use common::shared_dir;
use convertor::cli::{self, Command, Dedup, Format, FsType, Options, Repository, Selector, Target};
use convertor::image::MediaFamily;
use std::process::Command as Proc;

fn bin() -> Proc {
    Proc::new(env!("CARGO_BIN_EXE_convertor"))
}

fn opts(args: &[&str]) -> Options {
    let argv = std::iter::once("convertor").chain(args.iter().copied());
    match cli::parse(argv) {
        Ok(Command::Run(o)) => *o,
        other => panic!("{args:?}: {other:?}"),
    }
}

fn usage_error(args: &[&str]) -> String {
    let argv = std::iter::once("convertor").chain(args.iter().copied());
    match cli::parse(argv) {
        Err(e) => e.0,
        other => panic!("{args:?} should be rejected: {other:?}"),
    }
}

#[test]
fn every_flag_error_exits_non_zero_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "required flag \"repository\" [-r] not set"),
        (
            &["-r", "reg.io/x"],
            "one of input-tag [-i] or input-digest [-g] is required",
        ),
        (
            &["-r", "reg.io/x", "-i", "t"],
            "output-tag is required, you can specify it by [-o|--overlaybd|--turboOCI]",
        ),
        (
            &["-r", "reg.io/x", "-i", "t", "-o", "o", "--bogus"],
            "unexpected argument '--bogus'",
        ),
        (
            &["-r", "reg.io/x", "-i", "t", "-o", "o", "--vsize", "abc"],
            "invalid value 'abc'",
        ),
        (
            &["-r", "reg.io/x", "-i", "t", "-o", "o", "--vsize", "-1"],
            "vsize must be a positive",
        ),
        (
            &[
                "-r",
                "reg.io/x",
                "-i",
                "t",
                "-o",
                "o",
                "--algorithm",
                "brotli",
            ],
            "algorithm \"brotli\" is not supported",
        ),
        (
            &["-r", "reg.io/x", "-i", "t", "-o", "o", "--bs", "3"],
            "bs must be a ZFile block size",
        ),
        (
            &[
                "-r",
                "reg.io/x",
                "-i",
                "t",
                "-o",
                "o",
                "--concurrency-limit",
                "-2",
            ],
            "concurrency-limit",
        ),
        (
            &["-r", "reg.io/x", "-i", "t", "-o", "o", "--mkfs", "false"],
            "--flag=false",
        ),
        (
            &["-r", "reg.io/x", "-i", "t", "-o", "o", "--oci=maybe"],
            "is not a boolean",
        ),
        (
            &["-r", "reg.io/x", "-i", "t", "-o", "o", "--fstype", "xfs"],
            "fstype \"xfs\" is not supported",
        ),
        (
            &[
                "-r",
                "reg.io/x",
                "-i",
                "t",
                "-o",
                "o",
                "--client-cert",
                "a:b:c",
            ],
            "client-cert \"a:b:c\": invalid format",
        ),
        (
            &[
                "-r",
                "reg.io/x",
                "-i",
                "t",
                "-o",
                "o",
                "--client-cert",
                "nokey",
            ],
            "invalid format",
        ),
        (
            &["-r", "reg.io/x", "-g", "sha256:1234", "-o", "o"],
            "input-digest",
        ),
        (
            &["-r", "reg.io/x", "-i", "bad tag", "-o", "o"],
            "not a valid tag",
        ),
        (
            &["-r", "reg.io/x", "-i", "t", "-o", "-x"],
            "unexpected argument",
        ),
        (
            &[
                "-r",
                "reg.io/x",
                "-i",
                "t",
                "--overlaybd",
                "same",
                "--turboOCI",
                "same",
            ],
            "same output tag",
        ),
        (
            &["-r", "noslash", "-i", "t", "-o", "o"],
            "not host[:port]/path or oci:DIR",
        ),
        (
            &["-r", "reg.io/Upper", "-i", "t", "-o", "o"],
            "not host[:port]/path",
        ),
        (&["-r", "oci:", "-i", "t", "-o", "o"], "oci:DIR"),
        (
            &[
                "-r",
                "reg.io/x",
                "-i",
                "t",
                "-o",
                "o",
                "--db-type",
                "mysql",
                "--db-str",
                "nodb",
            ],
            "missing the slash",
        ),
        (
            &[
                "-r",
                "reg.io/x",
                "-i",
                "t",
                "-o",
                "o",
                "--engine",
                "overlaybd",
            ],
            "must be TAG=PATH",
        ),
        (
            &[
                "-r", "reg.io/x", "-i", "t", "-o", "o", "--engine", "a=x.wasm", "--engine",
                "a=y.wasm",
            ],
            "more than once",
        ),
        (
            &[
                "-r",
                "reg.io/x",
                "-i",
                "t",
                "-o",
                "o",
                "--platform",
                "linux",
            ],
            "os/arch[/variant]",
        ),
        (
            &["-r", "reg.io/x", "-i", "t", "-o", "o", "stray"],
            "unexpected argument 'stray'",
        ),
    ];
    for (args, want) in cases {
        let out = bin().args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr} lacks {want}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn help_lists_upstream_flags_in_declaration_order() {
    let out = bin().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    let flags = [
        "--repository",
        "--username",
        "--plain",
        "--verbose",
        "--input-tag",
        "--input-digest",
        "--output-tag",
        "--dir",
        "--oci",
        "--fstype",
        "--mkfs",
        "--vsize",
        "--fastoci",
        "--turboOCI",
        "--overlaybd",
        "--db-str",
        "--db-type",
        "--concurrency-limit",
        "--disable-sparse",
        "--referrer",
        "--cert-dir",
        "--root-ca",
        "--client-cert",
        "--insecure",
        "--reserve",
        "--no-upload",
        "--dump-manifest",
        "--json",
        "--engine",
        "--platform",
    ];
    let mut at = 0;
    for f in flags {
        let pos = help[at..]
            .find(&format!("{f} "))
            .or_else(|| help[at..].find(&format!("{f}[")));
        let pos = pos.unwrap_or_else(|| panic!("{f} missing or out of order in:\n{help}"));
        at += pos + f.len();
    }
    for short in ["-r,", "-u,", "-i,", "-g,", "-o,", "-d,"] {
        assert!(help.contains(short), "{short}");
    }
}

#[test]
fn precedence_rules() {
    // The tag wins over the digest; -o is the overlaybd tag only without format flags.
    let o = opts(&[
        "-r",
        "reg.io/x",
        "-i",
        "t",
        "-g",
        &format!("sha256:{}", "a".repeat(64)),
        "-o",
        "out",
    ]);
    assert_eq!(o.source, Selector::Tag("t".into()));
    assert_eq!(
        o.targets,
        [Target {
            format: Format::Overlaybd,
            tag: "out".into()
        }]
    );
    assert_eq!(o.warnings.len(), 1);
    let o = opts(&[
        "-r",
        "reg.io/x",
        "-g",
        &format!("sha256:{}", "a".repeat(64)),
        "-o",
        "out",
        "--turboOCI",
        "t2",
    ]);
    assert!(matches!(o.source, Selector::Digest(_)));
    assert_eq!(
        o.targets,
        [Target {
            format: Format::TurboOci,
            tag: "t2".into()
        }]
    );
    assert!(
        o.warnings
            .iter()
            .any(|w| w.contains("output-tag [-o] is ignored"))
    );
    // Native first, TurboOCI second; --turboOCI wins over --fastoci.
    let o = opts(&[
        "-r",
        "reg.io/x",
        "-i",
        "t",
        "--fastoci",
        "f",
        "--turboOCI",
        "tu",
        "--overlaybd",
        "ob",
    ]);
    assert_eq!(
        o.targets,
        [
            Target {
                format: Format::Overlaybd,
                tag: "ob".into()
            },
            Target {
                format: Format::TurboOci,
                tag: "tu".into()
            }
        ]
    );
    let o = opts(&["-r", "reg.io/x", "-i", "t", "--fastoci", "f"]);
    assert_eq!(
        o.targets,
        [Target {
            format: Format::TurboOci,
            tag: "f".into()
        }]
    );
}

#[test]
fn defaults_and_derived_values() {
    let o = opts(&[
        "-r",
        "localhost:5000/library/redis",
        "-i",
        "7.2.3",
        "-o",
        "obd",
    ]);
    assert_eq!(
        o.repository,
        Repository::Registry {
            host: "localhost:5000".into(),
            path: "library/redis".into()
        }
    );
    assert_eq!(o.family, MediaFamily::Docker);
    assert!(o.mkfs && !o.referrer && !o.plain_http && !o.disable_sparse);
    assert_eq!(o.vsize_gib, 64);
    assert_eq!(o.concurrency.map(|n| n.get()), Some(4));
    assert_eq!(o.work_dir, std::path::PathBuf::from("tmp_conv"));
    assert_eq!(o.fstype, FsType::Ext4);
    assert_eq!(o.dedup, Dedup::None);
    assert!(o.credentials.is_none() && o.warnings.is_empty());

    // --referrer forces OCI; 0 is unlimited concurrency; --mkfs=false pins vsize to 64.
    let o = opts(&[
        "-r",
        "oci:/tmp/l",
        "-i",
        "t",
        "-o",
        "o",
        "--referrer",
        "--concurrency-limit",
        "0",
        "--mkfs=false",
        "--vsize",
        "256",
        "--fstype",
        "erofs",
        "--plain=true",
        "--disable-sparse",
    ]);
    assert_eq!(o.repository, Repository::Layout("/tmp/l".into()));
    assert_eq!(o.family, MediaFamily::Oci);
    assert!(o.referrer && o.plain_http && o.disable_sparse && !o.mkfs);
    assert_eq!(o.concurrency, None);
    assert_eq!(o.vsize_gib, 64);
    assert_eq!(o.fstype, FsType::Erofs);
    assert!(o.warnings.iter().any(|w| w.contains("vsize is ignored")));
    let o = opts(&[
        "-r", "reg.io/x", "-i", "t", "-o", "o", "--vsize", "256", "--oci=1", "--mkfs=t",
    ]);
    assert_eq!(
        (o.vsize_gib, o.family, o.mkfs),
        (256, MediaFamily::Oci, true)
    );
}

#[test]
fn credentials_db_certs_engines_platforms() {
    // Split at the first ':', so passwords may contain ':'; no ':' at index > 0 is anonymous.
    let o = opts(&["-r", "reg.io/x", "-i", "t", "-o", "o", "-u", "me:pa:ss"]);
    let c = o.credentials.unwrap();
    assert_eq!((c.user.as_str(), c.password.as_str()), ("me", "pa:ss"));
    for anon in [":secret", "user"] {
        let o = opts(&["-r", "reg.io/x", "-i", "t", "-o", "o", "-u", anon]);
        assert!(o.credentials.is_none(), "{anon}");
        assert_eq!(o.warnings.len(), 1);
    }
    let o = opts(&["-r", "reg.io/x", "-i", "t", "-o", "o", "--db-type", "mysql"]);
    assert_eq!(o.dedup, Dedup::None);
    assert!(o.warnings[0].contains("no db-str was provided, falling back to no deduplication"));
    let o = opts(&[
        "-r",
        "reg.io/x",
        "-i",
        "t",
        "-o",
        "o",
        "--db-type",
        "pg",
        "--db-str",
        "a/b",
    ]);
    assert_eq!(o.dedup, Dedup::None);
    assert!(o.warnings[0].contains("Available: mysql"));
    let dsn = "user:pass@tcp(127.0.0.1:3306)/conversioncache";
    let o = opts(&[
        "-r",
        "reg.io/x",
        "-i",
        "t",
        "-o",
        "o",
        "--db-type",
        "mysql",
        "--db-str",
        dsn,
    ]);
    assert_eq!(o.dedup, Dedup::Mysql { dsn: dsn.into() });
    let o = opts(&[
        "-r",
        "oci:x",
        "-i",
        "t",
        "-o",
        "o",
        "--db-type",
        "sqlite",
        "--db-str",
        "/var/cache/dedup.db",
    ]);
    assert_eq!(
        o.dedup,
        Dedup::Sqlite {
            path: "/var/cache/dedup.db".into()
        }
    );
    // --db-str alone does not turn dedup on (as upstream).
    let o = opts(&["-r", "oci:x", "-i", "t", "-o", "o", "--db-str", "dedup.db"]);
    assert_eq!(o.dedup, Dedup::None);
    assert!(
        o.warnings[0].contains("db-str is ignored"),
        "{:?}",
        o.warnings
    );

    let o = opts(&[
        "-r",
        "reg.io/x",
        "-i",
        "t",
        "-o",
        "o",
        "--client-cert",
        "c.pem:k.pem",
        "--cert-dir",
        "d1",
        "--cert-dir",
        "d2",
        "--root-ca",
        "ca.pem",
        "--insecure",
        "--engine",
        "overlaybd=/e/obd.wasm",
        "--engine",
        "turboOCI=t.wasm",
        "--platform",
        "linux/amd64,linux/arm64/v8",
        "--platform",
        "linux/386",
        "--json",
    ]);
    assert_eq!(o.tls.client_certs, [("c.pem".into(), "k.pem".into())]);
    assert_eq!(o.tls.cert_dirs.len(), 2);
    assert!(o.tls.insecure && o.json);
    assert_eq!(o.engines.len(), 2);
    assert_eq!(o.engines[0].path, std::path::PathBuf::from("/e/obd.wasm"));
    let p: Vec<String> = o.platforms.0.iter().map(|p| p.to_string()).collect();
    assert_eq!(p, ["linux/amd64", "linux/arm64/v8", "linux/386"]);
}

#[test]
fn parse_errors_render_one_line() {
    let e = usage_error(&["-r", "reg.io/x", "-i", "t", "-o", "o", "--vsize"]);
    assert!(e.starts_with("error:") && !e.contains('\n'), "{e}");
    assert!(
        matches!(cli::parse(["convertor", "--version"]), Ok(Command::Print(v)) if v.contains("0.1.0"))
    );
}

#[test]
fn layout_run_errors_are_one_json_line() {
    let Some(shared) = shared_dir() else { return };
    let dir = format!("oci:{}", shared.join("fixtures/hello-world").display());
    // The engine is loaded before anything is written, so the read-only fixture is safe.
    let out = bin()
        .args(["-r", &dir, "-i", "nested-index", "-o", "x", "--json"])
        .args(["--engine", "overlaybd=/nonexistent/obd.wasm"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains("/nonexistent/obd.wasm"), "{msg}");

    let out = bin()
        .args(["-r", &dir, "-i", "missing", "-o", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("tag \"missing\" not found"));
}
