from palermo_review.main import create_app
from palermo_review.settings import ReviewSettings
from palermo_shared.serve import serve

serve(create_app, ReviewSettings)
