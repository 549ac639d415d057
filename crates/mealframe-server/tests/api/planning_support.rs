//! A seeded library for the planning tests: two meal types with meals, a template, a default plan.

#![allow(dead_code)]

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

pub struct Library {
    pub token: String,
    pub types: HashMap<String, String>,
    pub meals: HashMap<String, String>,
    pub template: String,
    pub plan: String,
}

impl TestApp {
    pub async fn create(&self, token: &str, path: &str, body: Value) -> Value {
        let r = self.post(path).bearer(token).json(body).send().await;
        assert_eq!(r.status, StatusCode::CREATED, "POST {path}: {}", r.text());
        r.json()
    }

    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        let r = self.get(path).bearer(token).send().await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.text());
        r.json()
    }

    /// Breakfast (3 meals) and Lunch (2 meals); template "Workday" = Breakfast, Lunch; a default
    /// plan mapping Monday–Friday to it.
    pub async fn seed(&self, email: &str) -> Library {
        let token = self.signup(email).await;
        let mut types = HashMap::new();
        for name in ["Breakfast", "Lunch"] {
            let t = self
                .create(&token, "/api/v1/meal-types", json!({ "name": name }))
                .await;
            types.insert(name.to_owned(), t["id"].as_str().unwrap().to_owned());
        }
        let mut meals = HashMap::new();
        for (i, (name, t, kcal, protein)) in [
            ("Oats", "Breakfast", 350, "12.5"),
            ("Eggs", "Breakfast", 320, "18.0"),
            ("Yogurt", "Breakfast", 200, "15.0"),
            ("Salad", "Lunch", 450, "30.0"),
            ("Soup", "Lunch", 380, "20.0"),
        ]
        .into_iter()
        .enumerate()
        {
            // Distinct creation instants make the rotation order explicit.
            self.advance(time::Duration::seconds(1));
            let m = self
                .create(&token, "/api/v1/meals", json!({"name": name, "portion_description": format!("portion {i}"), "calories_kcal": kcal, "protein_g": protein, "meal_type_ids": [types[t]]}))
                .await;
            meals.insert(name.to_owned(), m["id"].as_str().unwrap().to_owned());
        }
        let template = self
            .create(&token, "/api/v1/day-templates", json!({"name": "Workday", "slots": [{"position": 1, "meal_type_id": types["Breakfast"]}, {"position": 2, "meal_type_id": types["Lunch"]}]}))
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let days: Vec<Value> = (0..5)
            .map(|d| json!({"weekday": d, "day_template_id": template}))
            .collect();
        let plan = self
            .create(
                &token,
                "/api/v1/week-plans",
                json!({"name": "Default", "days": days}),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        Library {
            token,
            types,
            meals,
            template,
            plan,
        }
    }

    /// Mark `slot` with `status` (no actual meal); must answer 200.
    pub async fn mark(&self, token: &str, slot: &str, status: &str) {
        self.post(&format!("/api/v1/slots/{slot}/complete"))
            .bearer(token)
            .json(json!({ "status": status }))
            .send()
            .await
            .assert(StatusCode::OK);
    }

    /// Generate the week starting on `monday`; returns the response body.
    pub async fn generate(&self, token: &str, monday: &str) -> (StatusCode, Value) {
        let r = self
            .post("/api/v1/weekly-plans/generate")
            .bearer(token)
            .json(json!({ "week_start_date": monday }))
            .send()
            .await;
        (r.status, r.json())
    }
}

/// The meal name of every slot of a week, day by day.
pub fn meal_names(week: &Value) -> Vec<Vec<String>> {
    week["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["slots"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["meal"]["name"].as_str().unwrap_or("-").to_owned())
                .collect()
        })
        .collect()
}
