use mizan_macros::Form;

#[derive(Form)]
pub struct SurveyForm {
    #[field(widget = slider)]
    pub level: u8,
}

fn main() {}
