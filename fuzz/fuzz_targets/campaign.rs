//! The campaign file: any TOML (or not), read and validated as `render`
//! does (`Config::from_render_args`), then planned as a dry run — which
//! loads the template and the data and evaluates `[select] where`. Nothing
//! is written: no state folder, dry-run mode.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use warmly::args::RenderArgs;
use warmly::config::{Config, Mode};

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("warmly-fuzz-campaign-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("msg")).unwrap();
        std::fs::write(
            dir.join("customers.csv"),
            "id;first_name;last_name;birthday;language\n1;Anna;Berg;3.4.61;de\n2;Bo;Li;1990-02-28;en\n",
        )
        .unwrap();
        std::fs::write(dir.join("history.csv"), "person_id,date,kind,summary\n1,2026-01-02,order,Tisch\n").unwrap();
        std::fs::write(dir.join("msg/message.de.j2"), "Hallo {{ person.first_name }}!\n").unwrap();
        std::fs::write(dir.join("msg/message.en.j2"), "Hello {{ person.first_name }}!\n").unwrap();
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = dir();
    let campaign = dir.join("campaign.toml");
    std::fs::write(&campaign, data).unwrap();
    let args = RenderArgs {
        campaign: Some(campaign),
        date: Some("2026-11-30".into()),
        ..Default::default()
    };
    let Ok(mut config) = Config::from_render_args(&args) else {
        return;
    };
    config.mode = Mode::DryRun;
    config.state_dir = None;
    let _ = warmly::plan::prepare(&config);
});
