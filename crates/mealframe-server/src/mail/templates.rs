//! The messages MealFrame sends, in plain text and HTML.

use mealframe_store::plans::views::DayView;

use super::OutgoingMail;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(title: &str, intro: &str, link: &str, button: &str, expiry: &str) -> String {
    let link = escape(link);
    // One element per line: mail bodies must keep lines short (RFC 5322), and short lines let
    // the message go out as plain 7bit text.
    format!(
        "<!doctype html>\n<html>\n<body style=\"font-family:system-ui,sans-serif;background:#f7f3ec;color:#241e19;padding:24px\">\n\
         <div style=\"max-width:480px;margin:auto;background:#fff;border-radius:12px;padding:24px\">\n\
         <h1 style=\"font-size:20px\">{title}</h1>\n<p>{intro}</p>\n\
         <p><a href=\"{link}\"\n style=\"display:inline-block;background:#d4a054;color:#1a1612;padding:12px 20px;\n\
         border-radius:10px;text-decoration:none;font-weight:600\">{button}</a></p>\n\
         <p style=\"font-size:13px;color:#6b625a\">{expiry}\nIf the button does not work, open this address:<br>\n{link}</p>\n\
         <p style=\"font-size:13px;color:#6b625a\">If you did not ask for this, you can ignore this e-mail.</p>\n\
         </div>\n</body>\n</html>\n"
    )
}

/// "Verify your MealFrame email" with a link valid for 24 hours.
pub fn verification(to: &str, link: &str) -> OutgoingMail {
    OutgoingMail {
        to: to.to_owned(),
        subject: "Verify your MealFrame email".into(),
        text: format!(
            "Welcome to MealFrame!\n\nConfirm your e-mail address by opening this link:\n\n{link}\n\n\
             The link expires in 24 hours. If you did not create an account, ignore this e-mail.\n"
        ),
        html: html(
            "Welcome to MealFrame",
            "Confirm your e-mail address to finish creating your account.",
            link,
            "Verify e-mail",
            "The link expires in 24 hours.",
        ),
    }
}

/// "Reset your MealFrame password" with a link valid for 1 hour.
pub fn password_reset(to: &str, link: &str) -> OutgoingMail {
    OutgoingMail {
        to: to.to_owned(),
        subject: "Reset your MealFrame password".into(),
        text: format!(
            "Someone asked to reset the password of your MealFrame account.\n\n\
             Choose a new password here:\n\n{link}\n\n\
             The link expires in 1 hour. If it was not you, ignore this e-mail; your password stays as it is.\n"
        ),
        html: html(
            "Reset your password",
            "Someone asked to reset the password of your MealFrame account.",
            link,
            "Choose a new password",
            "The link expires in 1 hour.",
        ),
    }
}

/// The planning nudge: next week is not generated yet; the link opens that week to generate it.
pub fn planning_nudge(to: &str, link: &str) -> OutgoingMail {
    OutgoingMail {
        to: to.to_owned(),
        subject: "Next week is not planned yet".into(),
        text: format!(
            "Next week has no plan yet in MealFrame.\n\n\
             Generate it here so Monday starts with a plan:\n\n{link}\n\n\
             You get this reminder because you chose it in Settings (Reminders); turn it off there.\n"
        ),
        html: html(
            "Next week is not planned yet",
            "Generate it now so Monday starts with a plan.",
            link,
            "Plan next week",
            "You get this reminder because you chose it in Settings; turn it off there.",
        ),
    }
}

/// The daily digest: the day's planned meals in order, with time, portion and what is marked.
pub fn daily_digest(to: &str, day: &DayView, link: &str) -> OutgoingMail {
    let mut text_lines = Vec::new();
    let mut html_items = Vec::new();
    for slot in &day.slots {
        let kind = slot.meal_type.as_ref().map_or("Meal", |t| t.name.as_str());
        let meal = slot.meal.as_ref().map_or("—", |m| m.name.as_str());
        let portion = slot
            .meal
            .as_ref()
            .map(|m| m.portion_description.trim())
            .filter(|p| !p.is_empty());
        let time = slot.time.map(|t| format!("{t} ")).unwrap_or_default();
        let done = if slot.status.is_some() { " ✓" } else { "" };
        text_lines.push(match portion {
            Some(p) => format!("- {time}{kind}: {meal} ({p}){done}"),
            None => format!("- {time}{kind}: {meal}{done}"),
        });
        html_items.push(format!(
            "<li>{}<strong>{}</strong>: {}{}{}</li>",
            escape(&time),
            escape(kind),
            escape(meal),
            portion
                .map(|p| format!(" <small>({})</small>", escape(p)))
                .unwrap_or_default(),
            done
        ));
    }
    let date = format!(
        "{} {} {}",
        day.date.weekday(),
        day.date.day(),
        day.date.month()
    );
    let link_html = escape(link);
    OutgoingMail {
        to: to.to_owned(),
        subject: format!("Today's meals: {date}"),
        text: format!(
            "Your meals for {date}:\n\n{}\n\nOpen Today: {link}\n\n\
             You get this e-mail because you chose a daily digest in Settings (Reminders); turn it off there.\n",
            text_lines.join("\n")
        ),
        html: format!(
            "<!doctype html>\n<html>\n<body style=\"font-family:system-ui,sans-serif;background:#f7f3ec;color:#241e19;padding:24px\">\n\
             <div style=\"max-width:480px;margin:auto;background:#fff;border-radius:12px;padding:24px\">\n\
             <h1 style=\"font-size:20px\">Your meals for {}</h1>\n<ul>\n{}\n</ul>\n\
             <p><a href=\"{link_html}\">Open Today</a></p>\n\
             <p style=\"font-size:13px;color:#6b625a\">You get this e-mail because you chose a daily digest in Settings; turn it off there.</p>\n\
             </div>\n</body>\n</html>\n",
            escape(&date),
            html_items.join("\n")
        ),
    }
}
