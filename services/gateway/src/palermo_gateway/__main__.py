from palermo_gateway.main import create_app
from palermo_gateway.settings import GatewaySettings
from palermo_shared.serve import serve

serve(create_app, GatewaySettings)
