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

/// `operation` with its arguments' and result's schemas, as the server describes them.
fn typed(operation: Value, args: Value, result: Value) -> Value {
    let mut operation = operation;
    operation["post"]["requestBody"] = json!({ "content": { "application/json": { "schema": {
        "type": "object", "properties": { "args": args }, "required": ["args"] } } } });
    operation["post"]["responses"] = json!({ "200": { "content": { "application/json": {
        "schema": { "type": "object", "properties": { "result": result,
                    "invalidate": { "type": "array", "items": { "type": "string" } } },
                    "required": ["result", "invalidate"] } } } } });
    operation
}

fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// A form's schema as the server writes it: a field of every widget, optional ones included.
fn contact_form() -> Value {
    json!({
        "name": "contact", "title": "Contact us", "submit_label": "Send",
        "success_message": "Sent.", "live_validation": true,
        "initial": { "name": "", "email": "", "topic": "general", "age": null, "note": null,
                     "subscribe": false },
        "fields": [
            { "name": "name", "label": "Name", "widget": "text", "required": true,
              "constraints": { "min_length": 1, "max_length": 100,
                               "messages": { "length": "must be 1 to 100 characters" } } },
            { "name": "email", "label": "Email", "widget": "email", "required": true,
              "constraints": { "email": true } },
            { "name": "topic", "label": "Topic", "widget": "select", "required": true,
              "constraints": {}, "choices": [{ "value": "general", "label": "General" },
                                             { "value": "billing", "label": "Billing" }] },
            { "name": "age", "label": "Age", "widget": "number", "required": false,
              "optional": true, "constraints": { "min": 13, "max": 130 } },
            { "name": "note", "label": "Note", "widget": "textarea", "required": false,
              "optional": true, "help": "Anything else.", "constraints": { "max_length": 500 } },
            { "name": "subscribe", "label": "Subscribe", "widget": "checkbox", "required": true,
              "constraints": {} },
        ],
    })
}

/// A form that sends the browser elsewhere on success, with a confirmation of each kind: of a
/// required field, and of an optional one.
fn change_password_form() -> Value {
    json!({
        "name": "change_password", "title": "Change password", "submit_label": "Change",
        "success_message": "Changed.", "live_validation": false, "redirect": "/account",
        "initial": { "password": "", "confirmation": "", "hint": null, "hint_again": null },
        "fields": [
            { "name": "password", "label": "Password", "widget": "password", "required": true,
              "constraints": { "min_length": 8,
                               "messages": { "length": "must be at least 8 characters" } } },
            { "name": "confirmation", "label": "Confirmation", "widget": "password",
              "required": false,
              "constraints": { "must_match": "password",
                               "messages": { "must_match": "does not match" } } },
            { "name": "hint", "label": "Hint", "widget": "text", "required": false,
              "optional": true, "constraints": {} },
            { "name": "hint_again", "label": "Hint again", "widget": "text", "required": false,
              "optional": true,
              "constraints": { "must_match": "hint",
                               "messages": { "must_match": "is not the hint" } } },
        ],
    })
}

/// A document with every kind of function, a channel and two forms, and types of every shape.
fn document() -> Value {
    json!({
        "openapi": "3.1.0",
        "paths": {
            "/api/mizan/fn/echo": typed(
                operation("echo", "query", &["text"], json!({ "websocket": true }),
                          "Echoes the text back."),
                schema("EchoArgs"), schema("EchoOutput")),
            "/api/mizan/fn/update_name": typed(
                operation("update_name", "mutation", &["user_id", "name"],
                          json!({ "affects": ["user_profile", "current_user"] }),
                          "Renames a user; closes */ comments."),
                schema("UpdateNameArgs"), schema("Profile")),
            "/api/mizan/fn/current_user": typed(
                operation("current_user", "context", &[],
                          json!({ "context": { "scope": "global", "cache": "private" } }),
                          "The signed-in user."),
                schema("NoArgs"), json!({ "anyOf": [schema("Profile"), { "type": "null" }] })),
            "/api/mizan/fn/user_profile": typed(
                operation("user_profile", "context", &["user_id"],
                          json!({ "context": { "scope": "local", "cache": "private" } }),
                          "One user's profile."),
                schema("UserProfileArgs"), schema("Profile")),
            "/api/mizan/fn/server_time": typed(
                operation("server_time", "query", &[], json!({}), "The server's clock."),
                schema("NoArgs"), json!({ "type": "array",
                    "prefixItems": [{ "type": "integer" }, { "type": "string" }],
                    "items": false })),
            "/api/mizan/fn/stats": typed(
                operation("stats", "query", &[], json!({}), "Counts by name."),
                schema("NoArgs"), schema("Stats")),
            "/api/mizan/fn/contact": typed(
                operation("contact", "mutation", &["name", "email", "topic", "age", "note",
                          "subscribe"], json!({ "form": contact_form() }), "A message."),
                schema("ContactArgs"), json!({ "type": "null" })),
            "/api/mizan/fn/change_password": typed(
                operation("change_password", "mutation",
                          &["password", "confirmation", "hint", "hint_again"],
                          json!({ "form": change_password_form() }), "A new password."),
                schema("ChangePasswordArgs"), json!({ "type": "null" })),
            "/api/mizan/fn/logout_redirect": operation("logout_redirect", "view", &[],
                                                       json!({}), "Signs out."),
            "/api/mizan/call/": { "post": { "operationId": "mizan_call" } },
        },
        "components": { "schemas": {
            "NoArgs": { "type": "object", "additionalProperties": false },
            "EchoArgs": { "type": "object", "description": "What `echo` takes.",
                          "properties": { "text": { "type": "string",
                                                    "description": "Any text.\nAt most 200 characters." } },
                          "required": ["text"] },
            "EchoOutput": { "type": "object", "properties": { "message": { "type": "string" } },
                            "required": ["message"] },
            "UpdateNameArgs": { "type": "object", "properties": {
                "user_id": { "type": "integer", "format": "int64" },
                "name": { "type": "string" } }, "required": ["user_id", "name"] },
            "UserProfileArgs": { "type": "object", "properties": {
                "user_id": { "type": "integer", "format": "int64" } }, "required": ["user_id"] },
            "Profile": { "type": "object", "properties": {
                "user_id": { "type": "integer" }, "name": { "type": "string" },
                "email": { "type": ["string", "null"] },
                "roles": { "type": "array", "items": schema("Role") } },
                "required": ["user_id", "name", "email", "roles"] },
            "Role": { "oneOf": [
                { "type": "string", "const": "staff", "description": "Staff." },
                { "type": "object", "properties": { "Guest": { "type": "object",
                  "properties": { "until": { "type": "string", "format": "date-time" } },
                  "required": ["until"] } }, "required": ["Guest"],
                  "additionalProperties": false } ] },
            "Stats": { "type": "object", "additionalProperties": { "type": "integer" },
                       "deprecated": true, "description": "Counts." },
            "Topic": { "oneOf": [{ "type": "string", "const": "general" },
                                 { "type": "string", "const": "billing" }] },
            "ContactArgs": { "type": "object", "properties": {
                "name": { "type": "string" }, "email": { "type": "string", "format": "email" },
                "topic": schema("Topic"), "age": { "type": ["integer", "null"] },
                "note": { "type": ["string", "null"] }, "subscribe": { "type": "boolean" } },
                "required": ["name", "email", "topic", "subscribe"] },
            "ChangePasswordArgs": { "type": "object", "properties": {
                "password": { "type": "string" }, "confirmation": { "type": "string" },
                "hint": { "type": ["string", "null"] },
                "hint_again": { "type": ["string", "null"] } },
                "required": ["password", "confirmation"] },
            "ChatRoom": { "type": "object", "properties": { "room": { "type": "string" } },
                          "required": ["room"] },
            "ChatSay": { "type": "object", "properties": { "text": { "type": "string" } },
                         "required": ["text"] },
        } },
        "x-mizan-channels": [{
            "name": "chat",
            "params": schema("ChatRoom"),
            "client": schema("ChatSay"),
            "server": { "type": "string" },
        }],
    })
}

/// The smallest app: one mutation without arguments, nothing else (no query, context, channel
/// or form), where every import the other kinds need would be unused.
fn one_mutation() -> Value {
    json!({
        "openapi": "3.1.0",
        "paths": {
            "/api/mizan/fn/ping": typed(operation("ping", "mutation", &[], json!({}), "Pings."),
                                        schema("PingArgs"), json!({ "type": "string" })),
        },
        "components": { "schemas": {
            "PingArgs": { "type": "object", "additionalProperties": false },
        } },
    })
}

/// Every generated file of each document, as a snapshot named `<document>__<file>`:
/// packages/mizan-react's tests compile each document's set with TypeScript's strictest
/// settings, so what is reviewed here is what is compiled there.
#[test]
fn generated_files() {
    for (case, document) in [("every_kind", document()), ("one_mutation", one_mutation())] {
        let files = typescript(&document).expect("generated");
        let names: Vec<&str> = files.iter().map(|file| file.name).collect();
        assert_eq!(
            names,
            [
                "generated.mizan.ts",
                "generated.hooks.tsx",
                "generated.channels.ts",
                "generated.forms.ts",
                "generated.server.ts",
                "index.ts",
            ]
        );
        for file in files {
            insta::assert_snapshot!(format!("{case}__{}", file.name), file.contents);
        }
    }
}

#[test]
fn a_file_imports_only_what_it_uses() {
    let files = typescript(&one_mutation()).expect("generated");
    let file = |name: &str| {
        files
            .iter()
            .find(|file| file.name == name)
            .map(|file| file.contents.as_str())
            .expect("the file")
    };
    let hooks = file("generated.hooks.tsx");
    for unused in ["defineQuery", "defineContext", "useMizanQuery"] {
        assert!(!hooks.contains(unused), "{unused} in {hooks}");
    }
    assert!(!file("generated.channels.ts").contains("import"));
    assert!(!file("generated.forms.ts").contains("import"));
}

/// The hooks file of `document`: whether its provider opens the socket (and so imports the
/// realtime entry).
fn opens_socket(document: &Value) -> bool {
    let files = typescript(document).expect("generated");
    let hooks = files
        .iter()
        .find(|file| file.name == "generated.hooks.tsx")
        .map(|file| file.contents.as_str())
        .expect("the hooks file");
    let imports = hooks.contains("import { openSocket } from 'mizan-react/realtime';");
    assert_eq!(imports, hooks.contains("socket={openSocket}"), "{hooks}");
    imports
}

#[test]
fn only_an_app_with_something_to_watch_subscribe_or_call_over_it_opens_the_socket() {
    assert!(!opens_socket(&one_mutation()), "a mutation alone");
    assert!(
        opens_socket(&document()),
        "contexts, channels, a websocket query"
    );

    let mut over_socket = one_mutation();
    over_socket["paths"]["/api/mizan/fn/ping"]["post"]["x-mizan"]["websocket"] = json!(true);
    assert!(opens_socket(&over_socket), "a websocket mutation");

    let mut context = one_mutation();
    context["paths"]["/api/mizan/fn/ping"]["post"]["x-mizan"]["kind"] = json!("context");
    context["paths"]["/api/mizan/fn/ping"]["post"]["x-mizan"]["context"] =
        json!({ "scope": "global", "cache": "private" });
    assert!(opens_socket(&context), "a context");

    let mut channel = one_mutation();
    channel["x-mizan-channels"] = json!([{ "name": "chat", "params": { "type": "object" },
        "client": { "type": "string" }, "server": { "type": "string" } }]);
    assert!(opens_socket(&channel), "a channel");
}

#[test]
fn forms_are_written_with_zod_mini_and_the_forms_entry() {
    let files = typescript(&document()).expect("generated");
    let forms = files
        .iter()
        .find(|file| file.name == "generated.forms.ts")
        .map(|file| file.contents.as_str())
        .expect("the forms file");
    assert!(forms.contains("import { z } from 'zod/mini';"), "{forms}");
    assert!(forms.contains("} from 'mizan-react/forms';"), "{forms}");
    // Full Zod's methods are not in zod/mini: none may be written.
    for method in [").refine(", ".nullable()", ".optional()", "z.ZodType<"] {
        assert!(!forms.contains(method), "{method} in {forms}");
    }
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

/// The hooks file of `doc`.
fn hooks_file(doc: &Value) -> String {
    typescript(doc)
        .expect("generated")
        .into_iter()
        .find(|file| file.name == "generated.hooks.tsx")
        .map(|file| file.contents)
        .expect("the hooks file")
}

#[test]
fn a_mutation_is_patched_only_through_contexts_the_document_describes() {
    let mut doc = document();
    doc["paths"]["/api/mizan/fn/update_name"]["post"]["x-mizan"]["affects"] =
        json!(["user_profile", "switched_off_context", "user_profile"]);
    let hooks = hooks_file(&doc);
    assert!(
        hooks.contains("export type UpdateNameAffects = { user_profile: UserProfileResult };"),
        "{hooks}"
    );
    assert!(!hooks.contains("switched_off_context"), "{hooks}");
    assert!(
        hooks.contains("{ affects: ['user_profile'] }"),
        "once: {hooks}"
    );
    // A query never takes patches (`affects` would have made it a mutation).
    doc["paths"]["/api/mizan/fn/echo"]["post"]["x-mizan"]["affects"] = json!(["user_profile"]);
    assert!(!hooks_file(&doc).contains("EchoAffects"));

    // Nothing it affects is described: no patches to take, and no type naming none.
    doc["paths"]["/api/mizan/fn/update_name"]["post"]["x-mizan"]["affects"] =
        json!(["switched_off_context"]);
    let hooks = hooks_file(&doc);
    assert!(!hooks.contains("UpdateNameAffects"), "{hooks}");
    assert!(!hooks.contains("MizanCallOptions"), "{hooks}");
    assert!(
        hooks.contains("export function useUpdateName() {"),
        "{hooks}"
    );

    doc["paths"]["/api/mizan/fn/update_name"]["post"]["x-mizan"]["affects"] = json!("all");
    let error = typescript(&doc).expect_err("not a list");
    assert!(
        error.to_string().contains("affects is not a list"),
        "{error}"
    );
}
