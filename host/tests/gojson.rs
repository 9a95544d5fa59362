//! Every `encoding/json` rule the port relies on (upstream-convertor.md §2.9).

use convertor::gojson::{
    self, Descriptor, GoTime, History, Image, ImageConfig, Index, Manifest, Platform, write_string,
};
use proptest::prelude::*;

fn enc<T: gojson::GoEncode>(v: &T) -> String {
    String::from_utf8(gojson::to_vec(v)).unwrap()
}

fn esc(s: &str) -> String {
    let mut out = Vec::new();
    write_string(&mut out, s);
    String::from_utf8(out).unwrap()
}

#[test]
fn escaping_matches_go_with_html_escaping() {
    assert_eq!(esc("a<b>c&d"), r#""a\u003cb\u003ec\u0026d""#);
    assert_eq!(esc("\u{2028}\u{2029}"), r#""\u2028\u2029""#);
    assert_eq!(esc("q\"b\\"), r#""q\"b\\""#);
    assert_eq!(esc("\u{8}\u{c}\n\r\t"), r#""\b\f\n\r\t""#);
    assert_eq!(esc("\u{0}\u{1}\u{1f}"), r#""\u0000\u0001\u001f""#);
    // DEL, '/', non-ASCII and astral characters are written raw.
    assert_eq!(esc("\u{7f}/é😀"), "\"\u{7f}/é😀\"");
    assert_eq!(esc(""), r#""""#);
}

#[test]
fn omitempty_and_always_present_fields() {
    assert_eq!(
        enc(&Descriptor::default()),
        r#"{"mediaType":"","digest":"","size":0}"#
    );
    assert_eq!(enc(&Platform::default()), r#"{"architecture":"","os":""}"#);
    assert_eq!(
        enc(&Image::default()),
        r#"{"architecture":"","os":"","config":{},"rootfs":{"type":"","diff_ids":null}}"#
    );
    assert_eq!(
        enc(&Manifest::default()),
        r#"{"schemaVersion":0,"config":{"mediaType":"","digest":"","size":0},"layers":null}"#
    );
    assert_eq!(
        enc(&Index::default()),
        r#"{"schemaVersion":0,"manifests":null}"#
    );
    assert_eq!(enc(&History::default()), "{}");
    let h = History {
        empty_layer: true,
        comment: "c".into(),
        ..History::default()
    };
    assert_eq!(enc(&h), r#"{"comment":"c","empty_layer":true}"#);
    let cfg = ImageConfig {
        args_escaped: true,
        ..ImageConfig::default()
    };
    assert_eq!(enc(&cfg), r#"{"ArgsEscaped":true}"#);
}

#[test]
fn empty_versus_missing() {
    // Slices without omitempty: [] stays [], missing or null is null.
    let m: Manifest = gojson::from_slice(br#"{"schemaVersion":2,"layers":[]}"#).unwrap();
    assert!(enc(&m).ends_with(r#""layers":[]}"#));
    let m: Manifest = gojson::from_slice(br#"{"schemaVersion":2}"#).unwrap();
    assert!(enc(&m).ends_with(r#""layers":null}"#));
    let m: Manifest = gojson::from_slice(br#"{"schemaVersion":2,"layers":null}"#).unwrap();
    assert!(enc(&m).ends_with(r#""layers":null}"#));
    let i: Image = gojson::from_slice(br#"{"rootfs":{"type":"layers","diff_ids":[]}}"#).unwrap();
    assert!(enc(&i).contains(r#""rootfs":{"type":"layers","diff_ids":[]}"#));
    // omitempty slices and maps vanish whether empty or null.
    let i: Image = gojson::from_slice(
        br#"{"config":{"Env":[],"Cmd":null,"Labels":{},"Volumes":{},"ExposedPorts":null},"history":[],"os.features":[]}"#,
    )
    .unwrap();
    assert_eq!(
        enc(&i),
        r#"{"architecture":"","os":"","config":{},"rootfs":{"type":"","diff_ids":null}}"#
    );
    let d: Descriptor = gojson::from_slice(
        br#"{"mediaType":"m","digest":"d","size":1,"annotations":{},"urls":[],"platform":null}"#,
    )
    .unwrap();
    assert_eq!(enc(&d), r#"{"mediaType":"m","digest":"d","size":1}"#);
    // An empty platform object is a non-nil pointer: it is written.
    let d: Descriptor = gojson::from_slice(br#"{"platform":{}}"#).unwrap();
    assert!(enc(&d).ends_with(r#""platform":{"architecture":"","os":""}}"#));
}

#[test]
fn struct_key_order_and_unknown_fields_dropped() {
    let src = br#"{"zzz":1,"history":[{"empty_layer":true,"created_by":"x","bogus":[1]}],
        "rootfs":{"diff_ids":["sha256:a"],"type":"layers"},"config":{"Hostname":"h","Cmd":["/a"],
        "Env":["A=1"],"Healthcheck":{"Test":["x"]},"StopSignal":"SIGTERM","User":"u",
        "WorkingDir":"/w","Entrypoint":["e"],"OnBuild":null,"Shell":["sh"]},
        "container_config":{"Cmd":["ignored"]},"variant":"v8","os.features":["f"],
        "os.version":"1","os":"linux","architecture":"arm64","author":"me","docker_version":"20",
        "created":"2023-05-04T17:37:03.872958712Z"}"#;
    let i: Image = gojson::from_slice(src).unwrap();
    assert_eq!(
        enc(&i),
        concat!(
            r#"{"created":"2023-05-04T17:37:03.872958712Z","author":"me","architecture":"arm64","os":"linux","#,
            r#""os.version":"1","os.features":["f"],"variant":"v8","#,
            r#""config":{"User":"u","Env":["A=1"],"Entrypoint":["e"],"Cmd":["/a"],"WorkingDir":"/w","StopSignal":"SIGTERM"},"#,
            r#""rootfs":{"type":"layers","diff_ids":["sha256:a"]},"history":[{"created_by":"x","empty_layer":true}]}"#
        )
    );
    let d: Descriptor = gojson::from_slice(
        br#"{"artifactType":"t","platform":{"variant":"v7","os":"linux","architecture":"arm","features":["x"]},
            "data":"aGk=","annotations":{"k":"v"},"urls":["u"],"size":3,"digest":"sha256:x","mediaType":"m"}"#,
    )
    .unwrap();
    assert_eq!(
        enc(&d),
        concat!(
            r#"{"mediaType":"m","digest":"sha256:x","size":3,"urls":["u"],"annotations":{"k":"v"},"data":"aGk=","#,
            r#""platform":{"architecture":"arm","os":"linux","variant":"v7"},"artifactType":"t"}"#
        )
    );
    assert_eq!(d.data.0, b"hi");
}

#[test]
fn manifest_and_index_key_order() {
    let m: Manifest = gojson::from_slice(
        br#"{"annotations":{"a":"b"},"subject":{"size":1,"digest":"d","mediaType":"s"},"layers":[],
            "config":{"size":2,"digest":"c","mediaType":"cm"},"artifactType":"at","mediaType":"mt","schemaVersion":2}"#,
    )
    .unwrap();
    assert_eq!(
        enc(&m),
        concat!(
            r#"{"schemaVersion":2,"mediaType":"mt","artifactType":"at","config":{"mediaType":"cm","digest":"c","size":2},"#,
            r#""layers":[],"subject":{"mediaType":"s","digest":"d","size":1},"annotations":{"a":"b"}}"#
        )
    );
    let i: Index = gojson::from_slice(
        br#"{"annotations":{"a":"b"},"subject":{"size":1,"digest":"d","mediaType":"s"},"manifests":[],"artifactType":"at","mediaType":"mt","schemaVersion":2}"#,
    )
    .unwrap();
    assert_eq!(
        enc(&i),
        r#"{"schemaVersion":2,"mediaType":"mt","artifactType":"at","manifests":[],"subject":{"mediaType":"s","digest":"d","size":1},"annotations":{"a":"b"}}"#
    );
}

#[test]
fn map_keys_sorted_bytewise_and_values_escaped() {
    let c: ImageConfig = gojson::from_slice(
        "{\"Labels\":{\"b\":\"1\",\"a\":\"<2>\",\"B\":\"3\",\"é\":\"4\",\"_\":\"5\",\"a&\":\"6\"},\"ExposedPorts\":{\"80/tcp\":{},\"443/tcp\":{\"x\":1}}}".as_bytes(),
    )
    .unwrap();
    assert_eq!(
        enc(&c),
        "{\"ExposedPorts\":{\"443/tcp\":{},\"80/tcp\":{}},\"Labels\":{\"B\":\"3\",\"_\":\"5\",\"a\":\"\\u003c2\\u003e\",\"a\\u0026\":\"6\",\"b\":\"1\",\"é\":\"4\"}}"
    );
}

fn time_roundtrip(s: &str) -> Result<String, String> {
    GoTime::parse(s)
        .map(|t| t.to_string())
        .map_err(|e| e.to_string())
}

#[test]
fn times_keep_offset_and_trim_nanoseconds() {
    for (input, want) in [
        (
            "2023-05-04T17:37:03.872958712Z",
            "2023-05-04T17:37:03.872958712Z",
        ),
        ("2023-05-04T17:37:03.800000000Z", "2023-05-04T17:37:03.8Z"),
        ("2023-05-04T17:37:03.000Z", "2023-05-04T17:37:03Z"),
        ("2023-05-04T17:37:03Z", "2023-05-04T17:37:03Z"),
        ("2023-05-04T17:37:03+00:00", "2023-05-04T17:37:03Z"),
        ("2023-05-04T17:37:03-00:00", "2023-05-04T17:37:03Z"),
        ("2023-05-04T19:37:03.5+02:00", "2023-05-04T19:37:03.5+02:00"),
        (
            "2023-05-04T12:07:03.000001-05:30",
            "2023-05-04T12:07:03.000001-05:30",
        ),
        (
            "2023-05-04T17:37:03.1234567891Z",
            "2023-05-04T17:37:03.123456789Z",
        ),
        ("2023-05-04T17:37:03,25Z", "2023-05-04T17:37:03.25Z"),
        ("2023-05-04T7:37:03Z", "2023-05-04T07:37:03Z"),
        ("2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"),
        ("2023-01-01T00:00:00+24:60", "2023-01-01T00:00:00+25:00"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
    ] {
        assert_eq!(time_roundtrip(input).as_deref(), Ok(want), "{input}");
    }
    for bad in [
        "2023-02-29T00:00:00Z",
        "2023-04-31T00:00:00Z",
        "2023-05-04t17:37:03Z",
        "2023-05-04T17:37:03z",
        "2023-05-04T17:37:03",
        "2023-05-04T24:00:00Z",
        "2023-05-04T17:60:00Z",
        "2023-05-04T17:37:60Z",
        "2023-13-04T17:37:03Z",
        "2023-05-04T17:37:03.Z",
        "2023-05-04T17:37:03+0200",
        "2023-05-04T17:37:03+02:00x",
        "23-05-04T17:37:03Z",
        " 2023-05-04T17:37:03Z",
    ] {
        assert!(time_roundtrip(bad).is_err(), "{bad} should be rejected");
    }
}

#[test]
fn times_in_documents() {
    let h: History = gojson::from_slice(br#"{"created":"2023-05-04T19:37:03.120+02:00"}"#).unwrap();
    assert_eq!(enc(&h), r#"{"created":"2023-05-04T19:37:03.12+02:00"}"#);
    let h: History = gojson::from_slice(br#"{"created":null}"#).unwrap();
    assert_eq!(enc(&h), "{}");
    // Go parses the raw token without unescaping it.
    assert!(gojson::from_slice::<History>(br#"{"created":"\u0032023-05-04T17:37:03Z"}"#).is_err());
    assert!(gojson::from_slice::<History>(br#"{"created":20230504}"#).is_err());
}

#[test]
fn go_decoding_semantics() {
    // Keys match case-insensitively, an exact match wins, Kelvin sign folds to K.
    let p: Platform =
        gojson::from_slice(br#"{"ARCHITECTURE":"amd64","OS":"linux","Os":"x","os":"y"}"#).unwrap();
    assert_eq!((p.architecture.as_str(), p.os.as_str()), ("amd64", "y"));
    let c: ImageConfig =
        gojson::from_slice("{\"wor\u{212a}ingdir\":\"/k\",\"cmd\":[\"c\"]}".as_bytes()).unwrap();
    assert_eq!(
        (c.working_dir.as_str(), c.cmd.as_slice()),
        ("/k", &["c".to_string()][..])
    );
    // null leaves scalars alone; later keys overwrite earlier ones; objects merge.
    let d: Descriptor = gojson::from_slice(
        br#"{"mediaType":"m","mediaType":null,"size":5,"annotations":{"a":"1"},"annotations":{"b":null}}"#,
    )
    .unwrap();
    assert_eq!(d.media_type, "m");
    assert_eq!(d.size, 5);
    assert_eq!(enc(&d.annotations), r#"{"a":"1","b":""}"#);
    let d: Descriptor =
        gojson::from_slice(br#"{"platform":{"os":"linux"},"platform":{"architecture":"arm"}}"#)
            .unwrap();
    assert_eq!(enc(&d.platform), r#"{"architecture":"arm","os":"linux"}"#);
    // A null element of a string slice is the zero value.
    let c: ImageConfig = gojson::from_slice(br#"{"Env":["A",null]}"#).unwrap();
    assert_eq!(c.env, ["A", ""]);
    // Errors Go also reports.
    for bad in [
        &br#"{"size":1.5}"#[..],
        br#"{"size":"1"}"#,
        br#"{"mediaType":5}"#,
        br#"{"urls":"u"}"#,
        br#"{"annotations":[]}"#,
        br#"{"data":"!!"}"#,
        br#"{} x"#,
        br#"{"#,
        br#"[]"#,
    ] {
        assert!(
            gojson::from_slice::<Descriptor>(bad).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    // A top-level null decodes to the zero value, as json.Unmarshal into a struct does.
    assert_eq!(
        gojson::from_slice::<Descriptor>(b"null").unwrap(),
        Descriptor::default()
    );
}

#[test]
fn hello_world_source_config_converts_like_upstream() {
    // The upstream source config (Docker fields and key order) reduced to the Go struct.
    let src = br#"{"architecture":"amd64","config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"Env":["PATH=/usr/bin"],"Cmd":["/hello"],"Image":"sha256:62","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"container":"347c","created":"2023-05-04T17:37:03.872958712Z","docker_version":"20.10.23","history":[{"created":"2023-05-04T17:37:03.801840823Z","created_by":"/bin/sh -c #(nop)  CMD [\"/hello\"]","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:01"]}}"#;
    let i: Image = gojson::from_slice(src).unwrap();
    assert_eq!(
        enc(&i),
        r#"{"created":"2023-05-04T17:37:03.872958712Z","architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/bin"],"Cmd":["/hello"]},"rootfs":{"type":"layers","diff_ids":["sha256:01"]},"history":[{"created":"2023-05-04T17:37:03.801840823Z","created_by":"/bin/sh -c #(nop)  CMD [\"/hello\"]","empty_layer":true}]}"#
    );
}

proptest! {
    #[test]
    fn escaped_strings_parse_back(s in any::<String>()) {
        let out = esc(&s);
        let back: String = serde_json::from_str(&out).unwrap();
        prop_assert_eq!(back, s);
        prop_assert!(!out.contains('<') && !out.contains('>') && !out.contains('&'));
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = gojson::from_slice::<Image>(&bytes);
        let _ = gojson::from_slice::<Manifest>(&bytes);
        let _ = gojson::from_slice::<Index>(&bytes);
    }

    #[test]
    fn random_time_strings_never_panic(s in "[0-9T:+.,Z-]{0,40}") {
        if let Ok(t) = GoTime::parse(&s) {
            // Whatever parses re-renders canonically and parses to the same value.
            prop_assert_eq!(GoTime::parse(&t.to_string()), Ok(t));
        }
    }

    #[test]
    fn decode_encode_is_idempotent(arch in "[a-z0-9<&]{0,8}", labels in proptest::collection::btree_map("[a-zA-Z<>&]{1,5}", "[ -~]{0,6}", 0..4)) {
        let mut img = Image { architecture: arch, ..Image::default() };
        img.config.labels = labels;
        let once = gojson::to_vec(&img);
        let back: Image = gojson::from_slice(&once).unwrap();
        prop_assert_eq!(&back, &img);
        prop_assert_eq!(gojson::to_vec(&back), once);
    }
}
