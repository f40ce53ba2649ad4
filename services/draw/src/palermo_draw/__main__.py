from palermo_draw.main import create_app
from palermo_draw.settings import DrawSettings
from palermo_shared.serve import serve

serve(create_app, DrawSettings)
