//! Writes the seed corpora of the fuzz targets into `corpus/<target>/`: real inputs of
//! each format, made with the project's own code and examples, so that the fuzzers start
//! from the shapes that reach the deep paths (a seal that verifies, an application that
//! passes, an image that decodes, a checkpoint that opens). Run from `fuzz/`:
//! `cargo run --release --example seeds` (scripts/fuzz does not need to: the seeds are committed).

use std::path::Path;

use cartouche_log::note::LogSigner;
use cartouche_log::proof::TlogProof;
use cartouche_log::tiles::bundle;
use cartouche_log::witness::AddCheckpoint;
use cartouche_model::Application;
use cartouche_seal::{SealClaims, qr_text, sign};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("corpus").join(target);
    std::fs::create_dir_all(&dir).expect("corpus directory");
    std::fs::write(dir.join(name), bytes).expect("seed");
}

fn main() {
    cartouche_seal::install_crypto_provider();
    let examples = Path::new("../schemas/examples");
    let mut names: Vec<_> = std::fs::read_dir(examples).expect("examples").flatten().map(|e| e.path()).collect();
    names.sort();

    // Applications, valid and invalid; seals of each valid one, with each key.
    for path in &names {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            for invalid in std::fs::read_dir(path).expect("invalid examples").flatten() {
                let bytes = std::fs::read(invalid.path()).expect("example");
                write("application", &format!("invalid-{}", invalid.file_name().to_string_lossy()), &bytes);
            }
            continue;
        }
        let bytes = std::fs::read(path).expect("example");
        write("application", &name, &bytes);
        let application: Application = serde_json::from_slice(&bytes).expect("an example application");
        let country = application.issuing_authority.country.clone();
        let certificate = cartouche_fuzz::certificate(&format!("{country}-2026-000001"), application);
        let claims = SealClaims::for_certificate(&certificate).expect("claims");
        for pair in cartouche_fuzz::pairs() {
            let token = sign(&claims, &pair.signer().expect("signer")).expect("seal");
            let printed = qr_text(cartouche_fuzz::PUBLIC_URL, &token);
            let stem = format!("{}-{}", name.trim_end_matches(".json"), pair.alg.as_str());
            write("seal", &format!("{stem}.qr"), printed.as_bytes());
            write("seal", &format!("{stem}.token"), token.as_bytes());
            write("qr_text", &format!("{stem}.qr"), printed.as_bytes());
            if pair.alg == cartouche_model::Algorithm::EdDSA && name.starts_with("fr-painting") {
                let png =
                    cartouche_seal::qr::render_png(&printed, cartouche_seal::qr::parse_ec_level("M").unwrap(), 300)
                        .expect("QR PNG");
                write("image", "seal-qr.png", &png);
            }
        }
    }
    // Other codes a scanner reads, and a link typed through foreign keyboard layouts.
    let digits = std::fs::read_to_string("corpus/qr_text/fr-painting-to-us-EdDSA.qr").expect("seed");
    let tail = digits.rsplit('/').next().unwrap();
    let azerty: String =
        tail.chars().map(|c| "à&é\"'(-è_ç".chars().nth(c.to_digit(10).unwrap() as usize).unwrap()).collect();
    write("qr_text", "azerty", format!("httpsÖ::cartouche.example:v:{azerty}").as_bytes());
    write("qr_text", "qwertz", format!("https://cartouche.example-v-{tail}").as_bytes());
    write("qr_text", "web-address", b"https://example.org/products/42?ref=qr");
    write("qr_text", "health-certificate", b"HC1:6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N IOP-IA%NFQGRJPC%OQHIZC4.OI1RM8ZA.A5:S9MKN4NN3F85QNCY0O%0VZ001HOC9JU0D0HT0HB2PL/IB*09B9LW4T*8+DCMH0LDK2%K:XFE70*LP$V25$0Q:J:4MO1P0%0L0HD+9E/HY+4J6TH48S%4K.GJ2PT3QY:GQ3TE2I+-CPHN6D7LLK*2HG%89UV-0LZ 2ZJJ524-LH/CJTK96L6SR9MU9DHGZ%P WUQRENS431T1XCNCF+47AY0-IFO0500TGPN8F5G.41Q2E4T8ALW.INSV$ 07UV5SR+BNQHNML7 /KD3TU 4V*CAT3ZGLQMI/XI%ZJNSBBXK2:UG%UJMI:TU+MMPZ5$/PMX19UE:-PSR3/$NU44CBE6DQ3D7B0FBOFX0DV2DGMB$YPF62I$60/F$Z2I6IFX21XNI-LM%3/DF/U6Z9FEOJVRLVW6K$UG+BKK57:1+D10%4K83F+1VWD1NE");
    write("qr_text", "product-code", b"4006381333931");
    write("qr_text", "damaged", b"eyJhbGciOiJFZERTQSJ9.AAAA.BBBB");

    // Images: a photo-like gradient as JPEG and PNG, and a truncated JPEG.
    let photo = image_of(400, 300);
    let mut jpeg = Vec::new();
    photo.write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg).expect("JPEG");
    write("image", "photo.jpg", &jpeg);
    write("image", "truncated.jpg", &jpeg[..jpeg.len() / 2]);
    let mut png = Vec::new();
    image_of(64, 48).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).expect("PNG");
    write("image", "small.png", &png);

    // Plugin manifests and case files.
    let mut plugins: Vec<_> = std::fs::read_dir("../plugins").expect("plugins").flatten().map(|e| e.path()).collect();
    plugins.sort();
    for dir in plugins.iter().filter(|p| p.join("manifest.json").exists()) {
        let id = dir.file_name().unwrap().to_string_lossy().into_owned();
        write("plugin_files", &format!("{id}.manifest.json"), &std::fs::read(dir.join("manifest.json")).unwrap());
        if let Ok(cases) = std::fs::read(dir.join("cases.json"))
            && cases.len() < 64 * 1024
        {
            write("plugin_files", &format!("{id}.cases.json"), &cases);
        }
    }

    // Log formats.
    for path in ["0/000", "0/x001/234", "1/005.p/17", "entries/000.p/3", "entries/x123/456"] {
        write("log_formats", &format!("tile-{}", path.replace('/', "_")), path.as_bytes());
    }
    let entries: Vec<Vec<u8>> = (0..3).map(|n| format!("{{\"v\":1,\"n\":{n}}}").into_bytes()).collect();
    write("log_formats", "bundle", &bundle(&entries).expect("bundle"));
    let signer = LogSigner::new("cartouche.example/log", &[3; 32]).expect("signer");
    let checkpoint = signer.sign(3, cartouche_log::Hash([5; 32])).expect("checkpoint");
    write("log_formats", "checkpoint", &checkpoint);
    let proof = TlogProof {
        extra: None,
        index: 1,
        hashes: vec![cartouche_log::Hash([1; 32]), cartouche_log::Hash([2; 32])],
        checkpoint: checkpoint.clone(),
    };
    write("log_formats", "tlog-proof", &proof.to_text());
    let request = AddCheckpoint { old_size: 2, proof: vec![cartouche_log::Hash([4; 32])], checkpoint };
    write("log_formats", "add-checkpoint", &request.to_bytes());
    println!("seeds written to corpus/");
}

fn image_of(width: u32, height: u32) -> image::DynamicImage {
    let buffer = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width) as u8, (y * 255 / height) as u8, ((x + y) % 256) as u8])
    });
    image::DynamicImage::ImageRgb8(buffer)
}
