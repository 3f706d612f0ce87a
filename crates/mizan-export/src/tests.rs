//! The exporter's output for a small document of every kind of function, as snapshots, and its
//! errors.

use serde_json::{Value, json};

use crate::{ExportError, typescript};

fn operation(name: &str, kind: &str, params: &[&str], extra: Value, summary: &str) -> Value {
    let mut facts = json!({ "kind": kind, "auth": "none", "params": params, "affects": [],
                            "websocket": false });
    if let (Value::Object(facts), Value::Object(extra)) = (&mut facts, extra) {
        facts.extend(extra);
    }
    json!({ "post": { "operationId": name, "summary": summary, "x-mizan": facts } })
}

fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "paths": {
            "/api/mizan/fn/echo": operation("echo", "query", &["text"],
                                            json!({ "websocket": true }),
                                            "Echoes the text back."),
            "/api/mizan/fn/update_name": operation("update_name", "mutation",
                                                   &["user_id", "name"], json!({}),
                                                   "Renames a user; closes */ comments."),
            "/api/mizan/fn/current_user": operation("current_user", "context", &[],
                json!({ "context": { "scope": "global", "cache": "private" } }),
                "The signed-in user."),
            "/api/mizan/fn/user_profile": operation("user_profile", "context", &["user_id"],
                json!({ "context": { "scope": "local", "cache": "private" } }),
                "One user's profile."),
            "/api/mizan/fn/server_time": operation("server_time", "query", &[], json!({}),
                                                   "The server's clock."),
            "/api/mizan/fn/logout_redirect": operation("logout_redirect", "view", &[],
                                                       json!({}), "Signs out."),
            "/api/mizan/call/": { "post": { "operationId": "mizan_call" } },
        },
        "x-mizan-channels": [{
            "name": "chat",
            "params": { "$ref": "#/components/schemas/ChatRoom" },
            "client": { "$ref": "#/components/schemas/ChatSay" },
            "server": { "type": "string" },
        }],
    })
}

fn file(name: &str) -> String {
    typescript(&document())
        .expect("generated")
        .into_iter()
        .find(|file| file.name == name)
        .map(|file| file.contents)
        .expect("the file")
}

#[test]
fn hooks() {
    insta::assert_snapshot!(file("generated.hooks.tsx"));
}

#[test]
fn server() {
    insta::assert_snapshot!(file("generated.server.ts"));
}

#[test]
fn channels() {
    insta::assert_snapshot!(file("generated.channels.ts"));
}

#[test]
fn index() {
    insta::assert_snapshot!(file("index.ts"));
}

#[test]
fn output_does_not_depend_on_the_documents_order() {
    let mut reversed = document();
    let paths = reversed["paths"].as_object().expect("paths").clone();
    let mut entries: Vec<_> = paths.into_iter().collect();
    entries.reverse();
    reversed["paths"] = Value::Object(entries.into_iter().collect());
    assert_eq!(typescript(&reversed), typescript(&document()));
}

#[test]
fn two_functions_with_one_typescript_name_are_an_error() {
    let mut doc = document();
    doc["paths"]["/api/mizan/fn/echo_mutation"] =
        operation("echo_mutation", "mutation", &[], json!({}), "");
    let error = typescript(&doc).expect_err("a clash");
    assert_eq!(
        error,
        ExportError::NameClash {
            name: "useEchoMutation".into(),
            first: "echo".into(),
            second: "echo_mutation".into(),
        }
    );
}

#[test]
fn a_function_generating_a_runtime_name_is_an_error() {
    let mut doc = document();
    doc["paths"]["/api/mizan/fn/mizan"] = operation("mizan", "query", &[], json!({}), "");
    assert_eq!(
        typescript(&doc).expect_err("reserved"),
        ExportError::Reserved {
            name: "useMizanMutation".into(),
            function: "mizan".into(),
        }
    );
}

#[test]
fn a_document_that_is_not_mizans_says_what_is_missing() {
    let error = typescript(&json!({ "openapi": "3.1.0" })).expect_err("not mizan's");
    assert!(error.to_string().contains("`paths`"), "{error}");
    let mut doc = document();
    doc["paths"]["/api/mizan/fn/echo"]["post"]["x-mizan"]["kind"] = json!("stream");
    let error = typescript(&doc).expect_err("unknown kind");
    assert!(error.to_string().contains("unknown kind"), "{error}");
}
