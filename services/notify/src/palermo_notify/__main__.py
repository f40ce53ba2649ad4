from palermo_notify.main import create_app
from palermo_notify.settings import NotifySettings
from palermo_shared.serve import serve

serve(create_app, NotifySettings)
