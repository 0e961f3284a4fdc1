use crate::common::*;

#[test]
fn init_import_ready_round_trip() {
    let env = TestEnv::init();
    let out = env.import_text(
        r#"{"id":"t-1","title":"First","status":"open","priority":1,"issue_type":"task","created_at":"2025-01-01T00:00:00Z"}
{"id":"t-2","title":"Second","status":"open","priority":2,"issue_type":"task","dependencies":[{"issue_id":"t-2","depends_on_id":"t-1","type":"blocks"}]}
"#,
    );
    assert!(out.status.success(), "{}", render(&out));
    let ready = env.json(&["ready"]);
    let ids: Vec<&str> = ready
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["t-1"]);
}
