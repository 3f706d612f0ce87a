//! The React side of the example server: the OpenAPI document (served and exported), the
//! `export typescript` files, and the React app's page carrying its visitor's global contexts.

mod common;

use common::{sign_in, test_app};
use http::{StatusCode, header};
use serde_json::{Value, json};

/// The hydration payload in a page.
fn payload(page: &str) -> Value {
    let start = page
        .find(r#"<script type="application/json" id="mizan-hydration">"#)
        .unwrap_or_else(|| panic!("a hydration block in {page}"));
    let json = &page[start..];
    let json = &json[json.find('>').expect("tag end") + 1..json.find("</script>").expect("end")];
    serde_json::from_str(json).expect("the payload is JSON")
}

#[tokio::test]
async fn the_openapi_document_describes_every_function_as_served_and_exported() {
    let app = test_app().await;
    let reply = app.get("/api/mizan/openapi.json", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    let document = reply.json();
    let exported: Value =
        serde_json::from_str(&server::export().openapi_json().expect("exported")).expect("json");
    assert_eq!(document, exported, "served and exported are one document");
    assert_eq!(document["openapi"], "3.1.0");

    let operation = |name: &str| document["paths"][format!("/api/mizan/fn/{name}")]["post"].clone();
    let echo = operation("echo");
    assert_eq!(echo["operationId"], "echo");
    assert_eq!(echo["x-mizan"]["kind"], "query");
    let body = &echo["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(
        body["properties"]["args"],
        json!({"$ref": "#/components/schemas/EchoArgs"})
    );
    assert_eq!(body["required"], json!(["args"]));
    let schemas = &document["components"]["schemas"];
    assert_eq!(schemas["EchoArgs"]["properties"]["text"]["maxLength"], 200);
    assert_eq!(
        echo["responses"]["default"]["$ref"],
        "#/components/responses/MizanError"
    );
    assert!(
        schemas["MizanError"]["properties"]["error"]["properties"]["code"]["enum"]
            .as_array()
            .expect("codes")
            .contains(&json!("VALIDATION_ERROR"))
    );

    // Results as the server writes them: an `Option` field is always there (null when empty).
    let current_user = operation("current_user");
    let result = &current_user["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(
        result["properties"]["result"],
        json!({"$ref": "#/components/schemas/CurrentUser"})
    );
    let required = schemas["CurrentUser"]["required"]
        .as_array()
        .expect("required");
    assert!(
        required.contains(&json!("email")) && required.contains(&json!("name")),
        "{required:?}"
    );
    assert_eq!(
        current_user["x-mizan"]["context"],
        json!({"scope": "global", "cache": "private", "per_user": true})
    );
    assert_eq!(
        operation("site_stats")["x-mizan"]["context"],
        json!({"scope": "global", "cache": "public"}),
        "`per_user` only where declared"
    );

    let update = operation("update_name");
    assert_eq!(update["x-mizan"]["auth"], "user");
    assert_eq!(update["x-mizan"]["params"], json!(["user_id", "name"]));
    assert_eq!(
        update["x-mizan"]["affects"],
        json!(["user_profile", "current_user", "user_directory"])
    );
    assert_eq!(operation("logout_redirect")["x-mizan"]["kind"], "view");

    let call = &document["paths"]["/api/mizan/call/"]["post"];
    let names =
        &call["requestBody"]["content"]["application/json"]["schema"]["properties"]["fn"]["enum"];
    assert!(
        names
            .as_array()
            .expect("names")
            .contains(&json!("update_name"))
    );
}

#[tokio::test]
async fn export_typescript_writes_the_document_the_manifest_and_the_hooks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("api");
    server::export().write_typescript(&out).expect("exported");
    let read = |name: &str| {
        std::fs::read_to_string(out.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let hooks = read("generated.hooks.tsx");
    assert!(
        hooks.contains("export function useCurrentUser() {"),
        "{hooks}"
    );
    assert!(
        hooks.contains("export function useUserProfile(args: UserProfileArgs) {"),
        "{hooks}"
    );
    assert!(
        hooks.contains(
            "export function useUpdateNameMutation(options?: MizanCallOptions<UpdateNameArgs, \
             UpdateNameAffects>) {"
        ),
        "{hooks}"
    );
    assert!(!hooks.contains("useLogoutRedirect"), "a view gets no hook");
    assert!(read("generated.server.ts").contains("'current_user', 'site_stats'"));
    assert!(read("index.ts").contains("from './generated.hooks'"));
    let document: Value = serde_json::from_str(&read("mizan.openapi.json")).expect("json");
    assert_eq!(document["openapi"], "3.1.0");
    let manifest: Value = serde_json::from_str(&read("mizan.manifest.json")).expect("json");
    assert_eq!(manifest["version"], 1);
}

/// Every file `export typescript` writes for the example, as committed snapshots: a change to the
/// functions shows up in review as a change to what a React team imports.
#[test]
fn the_example_exports_are_snapshots() {
    let files = server::export().typescript_files().expect("files");
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "mizan.openapi.json",
            "mizan.manifest.json",
            "generated.mizan.ts",
            "generated.hooks.tsx",
            "generated.channels.ts",
            "generated.forms.ts",
            "generated.server.ts",
            "index.ts"
        ]
    );
    for (name, contents) in files {
        insta::assert_snapshot!(name, contents);
    }
}

#[tokio::test]
async fn the_react_page_carries_the_visitors_global_contexts_and_is_never_cached() {
    let app = test_app().await;
    let dir = app.react_app_dir();
    std::fs::create_dir_all(dir.join("assets")).expect("dir");
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><html><head><title>React</title></head><body><div id=root></div></body></html>",
    )
    .expect("index");
    std::fs::write(dir.join("assets/app.js"), "console.log('app');").expect("asset");

    let anonymous = app.get("/react/", &[]).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert_eq!(
        anonymous.headers[header::CACHE_CONTROL],
        "private, no-store"
    );
    assert!(
        anonymous.headers[header::CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let contexts = payload(&anonymous.text)["contexts"].clone();
    assert_eq!(
        contexts["current_user"]["is_authenticated"], false,
        "{contexts}"
    );
    assert!(
        contexts["site_stats"]["accounts"]
            .as_i64()
            .expect("a count")
            >= 2,
        "{contexts}"
    );
    assert!(
        anonymous.text.find("mizan-hydration") < anonymous.text.find("</head>"),
        "the payload is in the head, before the app's scripts run"
    );

    let cookie = sign_in(&app, "alice@example.com", "alice-password", None).await;
    let signed_in = app.get("/react/profile/1", &[("cookie", &cookie)]).await;
    assert_eq!(
        signed_in.status,
        StatusCode::OK,
        "the app's own routes get the page"
    );
    let contexts = payload(&signed_in.text)["contexts"].clone();
    assert_eq!(
        contexts["current_user"]["email"], "alice@example.com",
        "{contexts}"
    );

    let dotted = app
        .get("/react/users/jane.doe", &[("accept", "text/html,*/*")])
        .await;
    assert_eq!(dotted.status, StatusCode::OK, "a navigation gets the page");

    // A refused bearer token: only the public contexts, which run without identity.
    let refused = app
        .get("/react/", &[("authorization", "Bearer not-a-token")])
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    let contexts = payload(&refused.text)["contexts"].clone();
    assert!(contexts.get("current_user").is_none(), "{contexts}");
    assert!(contexts["site_stats"]["accounts"].is_i64(), "{contexts}");

    let asset = app.get("/react/assets/app.js", &[]).await;
    assert_eq!(asset.status, StatusCode::OK);
    assert_eq!(asset.text, "console.log('app');");
    let missing = app.get("/react/assets/gone.js", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "NOT_FOUND");
}

#[tokio::test]
async fn an_unbuilt_react_app_is_a_clear_404() {
    let app = test_app().await;
    let reply = app.get("/react/", &[]).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.error_code(), "NOT_FOUND");
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .expect("message")
            .contains("not built")
    );
}
