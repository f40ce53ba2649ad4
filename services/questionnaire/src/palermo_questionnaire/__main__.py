from palermo_questionnaire.main import create_app
from palermo_questionnaire.settings import QuestionnaireSettings
from palermo_shared.serve import serve

serve(create_app, QuestionnaireSettings)
