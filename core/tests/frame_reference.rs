//! Measurement frames from outside this crate: known-answer frames written by the independent
//! Python implementation (`core/tests/reference/frame_reference.py`), the fuzz corpus as a
//! regression test, and property tests that the decoder never panics.

mod common;

use common::frames::*;
use std::collections::HashMap;
use std::path::PathBuf;

use proptest::prelude::*;
use qcs_core::frame::{
    self, decode, encode_codes, encode_values, encoded_len, peek_len, Floats, FrameHeader,
    OperatorKind, OperatorSpec, QuantizerKind, QuantizerSpec, SignalShape,
};

// Known-answer frames from the independent Python implementation

/// A parsed `frame_<name>.txt`: `key value ...` lines, floats as hex f32 bits.
struct Description {
    fields: HashMap<String, Vec<String>>,
    thresholds: Vec<f32>,
    codewords: Vec<f32>,
}

impl Description {
    fn read(name: &str) -> Self {
        let text = std::fs::read_to_string(common::data_path(&format!("frame_{name}.txt")))
            .expect("description");
        let fields: HashMap<String, Vec<String>> = text
            .lines()
            .filter_map(|l| {
                let mut it = l.split_whitespace();
                let key = it.next()?.to_owned();
                Some((key, it.map(str::to_owned).collect()))
            })
            .collect();
        let mut d = Self {
            fields,
            thresholds: vec![],
            codewords: vec![],
        };
        d.thresholds = d.floats("thresholds");
        d.codewords = d.floats("codewords");
        d
    }

    fn int(&self, key: &str) -> u64 {
        self.fields[key][0].parse().unwrap()
    }

    fn floats(&self, key: &str) -> Vec<f32> {
        self.fields
            .get(key)
            .map(|v| {
                v.iter()
                    .map(|s| f32::from_bits(u32::from_str_radix(&s[2..], 16).unwrap()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn header(&self) -> FrameHeader<'_> {
        let bits = self.int("bits") as u8;
        let quantizer = match QuantizerKind::from_code(self.int("quantizer") as u8).unwrap() {
            QuantizerKind::Uniform => QuantizerSpec::Uniform {
                bits,
                delta: self.floats("delta")[0],
            },
            QuantizerKind::Thresholds => QuantizerSpec::Thresholds {
                bits,
                thresholds: Floats::new(&self.thresholds),
                codewords: Floats::new(&self.codewords),
            },
            QuantizerKind::Unquantized => QuantizerSpec::Unquantized,
        };
        FrameHeader {
            signal: SignalShape {
                n: self.int("n") as u32,
                height: self.int("height") as u32,
                width: self.int("width") as u32,
                channels: self.int("channels") as u32,
            },
            measurements: self.int("m") as u32,
            quantizer,
            sigma: self.floats("sigma")[0],
            operator: OperatorSpec {
                kind: OperatorKind::from_code(self.int("operator") as u8).unwrap(),
                seed: self.int("seed"),
                scaling: frame::scaling_from_code(self.int("scaling") as u8).unwrap(),
            },
            counter: self.int("counter") as u32,
        }
    }
}

const KNOWN_ANSWER: [&str; 7] = [
    "example",
    "onebit_image",
    "uniform3_structured",
    "uniform16_rgb",
    "thresholds2_dense",
    "thresholds1",
    "unquantized",
];

#[test]
fn python_known_answer_frames_decode_and_reencode_byte_for_byte() {
    for name in KNOWN_ANSWER {
        let bytes = std::fs::read(common::data_path(&format!("frame_{name}.bin"))).unwrap();
        let d = Description::read(name);
        let expected = d.header();
        let frame = decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(*frame.header(), expected, "{name}");
        let mut out = vec![0u8; encoded_len(&expected).unwrap()];
        if let Some(values) = d.fields.get("values") {
            let y = d.floats("values");
            assert_eq!(y.len(), values.len());
            let mut back = vec![0.0f32; y.len()];
            frame.values(&mut back).unwrap();
            assert_eq!(
                back.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{name}"
            );
            encode_values(&expected, &y, &mut out).unwrap();
        } else {
            let codes: Vec<u16> = d.fields["codes"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect();
            let mut back = vec![0u16; codes.len()];
            frame.unpack_codes(&mut back).unwrap();
            assert_eq!(back, codes, "{name}");
            encode_codes(&expected, &codes, &mut out).unwrap();
        }
        // The Rust encoder, from the description alone, writes the Python bytes.
        assert_eq!(out, bytes, "{name}");
        assert_eq!(reencode(&frame), bytes, "{name}");
    }
}

#[test]
fn python_corrupted_frames_give_the_documented_errors() {
    let (_, rows) = read_manifest();
    assert!(rows.len() >= 30);
    for (file, error, field) in rows {
        let bytes = std::fs::read(common::data_path(&file)).unwrap();
        let err = decode(&bytes).expect_err(&file);
        assert_eq!(
            error_name(&err),
            (error.as_str(), field.as_str()),
            "{file}: {err}"
        );
    }
}

/// `frame_bad.csv`: file, error, field.
fn read_manifest() -> (Vec<String>, Vec<(String, String, String)>) {
    let path = common::data_path("frame_bad.csv");
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let header = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[1].to_owned(), r[2].to_owned())
        })
        .collect();
    (header, rows)
}

// ---------------------------------------------------------------------------------------
// Fuzz corpus regression and property tests

#[test]
fn fuzz_corpus_decodes_without_panicking() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode");
    let mut count = 0;
    let mut ok = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        // Ok or Err, never a panic; an accepted frame re-encodes to the same bytes.
        if let Ok(frame) = decode(&bytes) {
            assert_eq!(reencode(&frame), bytes, "{}", path.display());
            ok += 1;
        }
        count += 1;
    }
    assert!(count >= 20, "corpus has {count} files");
    assert!(ok >= 7, "corpus has {ok} valid frames");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, .. ProptestConfig::default() })]

    #[test]
    fn decode_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&bytes);
        let _ = peek_len(&bytes);
    }

    #[test]
    fn decode_never_panics_on_random_bytes_behind_a_valid_prefix(
        tail in proptest::collection::vec(any::<u8>(), 48..160),
    ) {
        // A valid prefix and a correct CRC push random contents into the field checks.
        let mut b = Vec::with_capacity(tail.len() + 16);
        b.extend_from_slice(b"QCSF");
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&0u16.to_le_bytes());
        b.extend_from_slice(&((tail.len() + 16) as u32).to_le_bytes());
        b.extend_from_slice(&tail);
        b.extend_from_slice(&[0; 4]);
        let b = fix_crc(b);
        if let Ok(frame) = decode(&b) {
            prop_assert_eq!(reencode(&frame), b);
        }
    }

    #[test]
    fn decode_never_panics_on_mutated_frames(
        which in 0usize..4,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
        recrc in any::<bool>(),
    ) {
        let mut b = real_frames().swap_remove(which);
        for (at, v) in &edits {
            let i = at.index(b.len());
            b[i] = *v;
        }
        if recrc {
            b = fix_crc(b);
        }
        if truncate {
            b.truncate(cut.index(b.len()));
        }
        match decode(&b) {
            // An accepted mutation is a valid frame in its own right.
            Ok(frame) => prop_assert_eq!(reencode(&frame), b),
            Err(e) => {
                let message = e.to_string();
                prop_assert!(!message.is_empty());
            }
        }
    }
}
