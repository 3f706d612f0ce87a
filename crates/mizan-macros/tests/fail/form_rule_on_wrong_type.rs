use mizan_macros::Form;

#[derive(Form)]
pub struct TermsForm {
    #[validate(length(max = 3))]
    pub agree: bool,
}

fn main() {}
