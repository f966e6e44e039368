//! Prints the entity tagger's raw spans (before title splitting and canonical names) for text
//! files, one `FILE:OFFSET<TAB>KIND<TAB>text` line per span (byte offset), to check what the model itself finds.
//!
//!     cargo run --release -p newsmill-extract --example tag -- [--model M] FILE...

use std::path::Path;

use newsmill_extract::NerModel;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let loaded;
    let model = match args.iter().position(|a| a == "--model") {
        Some(i) if i + 1 < args.len() => {
            let path = args.remove(i + 1);
            args.remove(i);
            loaded = NerModel::load(Path::new(&path)).unwrap_or_else(|e| {
                eprintln!("{e}");
                std::process::exit(1)
            });
            &loaded
        }
        _ => NerModel::builtin(),
    };
    for path in &args {
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("Cannot read {path}.");
            continue;
        };
        for span in model.tag_text(&text) {
            let name = text.get(span.start..span.end).unwrap_or("");
            println!("{path}:{}\t{}\t{name}", span.start, span.kind.as_str());
        }
    }
}
