//! The engine flags: `--engine` as a format override or a third-party output tag,
//! `--engine-digest`, `--engine-option` and the sandbox limits with their defaults.

use convertor::cli::{self, Command, EngineLimits, EngineOption, Format, Options, Target};

fn parse(args: &[&str]) -> Result<Options, String> {
    let argv = ["convertor", "-r", "oci:/l", "-i", "t"]
        .into_iter()
        .chain(args.iter().copied());
    match cli::parse(argv) {
        Ok(Command::Run(o)) => Ok(*o),
        Ok(other) => panic!("{args:?}: {other:?}"),
        Err(e) => Err(e.0),
    }
}

fn target(format: Format, tag: &str) -> Target {
    Target {
        format,
        tag: tag.into(),
    }
}

#[test]
fn a_builtin_tag_overrides_the_format_and_any_other_tag_is_an_output() {
    let o = parse(&[
        "--overlaybd",
        "obd",
        "--engine",
        "overlaybd=/x/obd.wasm",
        "--engine",
        "zst=/x/recompress.wasm",
        "--engine",
        "other=/x/other.wasm",
    ])
    .unwrap();
    assert_eq!(
        o.targets,
        [
            target(Format::Overlaybd, "obd"),
            target(Format::Engine, "zst"),
            target(Format::Engine, "other"),
        ]
    );
    assert_eq!(o.targets[1].label(), "--engine zst");

    // A third-party engine alone is enough of an output.
    let o = parse(&["--engine", "zst=/x/r.wasm"]).unwrap();
    assert_eq!(o.targets, [target(Format::Engine, "zst")]);
    // A format override alone is not.
    assert!(
        parse(&["--engine", "turboOCI=/x/t.wasm"])
            .unwrap_err()
            .contains("output-tag is required")
    );
}

#[test]
fn engine_flag_errors_are_one_line() {
    let digest = format!("sha256:{}", "a".repeat(64));
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--engine".into(), "bad tag=/x.wasm".into()],
            "engine tag \"bad tag\" is not a valid tag",
        ),
        (
            vec![
                "--overlaybd".into(),
                "out".into(),
                "--engine".into(),
                "out=/x.wasm".into(),
            ],
            "engine tag \"out\" is also the tag of another output",
        ),
        (
            vec![
                "--engine".into(),
                "zst=/x.wasm".into(),
                "--engine-digest".into(),
                "zst=sha256:abc".into(),
            ],
            "must be TAG=sha256:<64 hex digits>",
        ),
        (
            vec![
                "--engine".into(),
                "zst=/x.wasm".into(),
                "--engine-digest".into(),
                format!("nope={digest}"),
            ],
            "engine-digest names tag \"nope\", but no engine converts to it",
        ),
        (
            vec![
                "--engine".into(),
                "zst=/x.wasm".into(),
                "--engine-option".into(),
                "zst=level".into(),
            ],
            "must be TAG:NAME=VALUE",
        ),
        (
            vec![
                "--engine".into(),
                "zst=/x.wasm".into(),
                "--engine-memory".into(),
                "0".into(),
            ],
            "--engine-memory must be positive",
        ),
        (
            vec![
                "--engine".into(),
                "zst=/x.wasm".into(),
                "--engine-timeout=0".into(),
            ],
            "--engine-timeout must be positive",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = parse(&args).unwrap_err();
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn digests_options_and_limits_are_kept() {
    let digest = format!("sha256:{}", "b".repeat(64));
    let o = parse(&[
        "--turboOCI",
        "turbo",
        "--engine",
        "zst=/x.wasm",
        "--engine-digest",
        &format!("turbooci={digest}"),
        "--engine-option",
        "zst:level=none",
        "--engine-option",
        "turboOCI:fstype=ext4",
        "--engine-memory",
        "256",
        "--engine-timeout",
        "60",
        "--engine-output-ratio",
        "2",
        "--engine-instances",
        "3",
    ])
    .unwrap();
    assert_eq!(o.engine_digests, [("turbooci".to_string(), digest)]);
    assert_eq!(
        o.engine_options,
        [
            EngineOption {
                tag: "zst".into(),
                name: "level".into(),
                value: "none".into()
            },
            EngineOption {
                tag: "turboOCI".into(),
                name: "fstype".into(),
                value: "ext4".into()
            },
        ]
    );
    assert!(cli::tag_addresses("turbooci", &o.targets[0]));
    assert!(!cli::tag_addresses("zst", &o.targets[0]));
    assert_eq!(
        o.engine_limits,
        EngineLimits {
            memory_mib: 256,
            timeout_secs: 60,
            output_ratio: 2,
            instances: 3
        }
    );

    let defaults = parse(&["--engine", "zst=/x.wasm"]).unwrap().engine_limits;
    assert_eq!(
        defaults,
        EngineLimits {
            memory_mib: 1024,
            timeout_secs: 1800,
            output_ratio: 4,
            instances: 0
        }
    );
}
