# Parley appliance: the IT admin's commands over docker-compose.yml (see compose/README-install.md).
# Included by the root Makefile and by the bundle's Makefile; also `make -f compose/appliance.mk TARGET`.
#   CONFIG=<dir>  the site's settings, secrets and certificates (default: config)
.PHONY: install up down status logs update bundle load clamav-update appliance-test hardening-check images

APPLIANCE_ENV = PARLEY_CONFIG_DIR="$(or $(CONFIG),$(PARLEY_CONFIG_DIR),config)"

install:
	@$(APPLIANCE_ENV) PUBLIC_URL="$(PUBLIC_URL)" BIND_ADDRESS="$(BIND_ADDRESS)" HTTPS_PORT="$(HTTPS_PORT)" \
	  HTTP_PORT="$(HTTP_PORT)" WIDGET_ORIGINS="$(WIDGET_ORIGINS)" ADMIN_EMAIL="$(ADMIN_EMAIL)" \
	  TLS_EXTRA_NAMES="$(TLS_EXTRA_NAMES)" SIGS="$(SIGS)" bash ops/appliance/install.sh

up:
	@$(APPLIANCE_ENV) bash ops/appliance/up.sh

down:
	@$(APPLIANCE_ENV) bash ops/appliance/compose.sh down

status:
	@$(APPLIANCE_ENV) bash ops/appliance/status.sh

logs:
	@$(APPLIANCE_ENV) bash ops/appliance/compose.sh logs --tail=200 --follow $(SERVICE)

update:
	@$(APPLIANCE_ENV) bash ops/appliance/update.sh

images:
	@$(APPLIANCE_ENV) bash ops/appliance/images.sh

bundle:
	@$(APPLIANCE_ENV) bash ops/appliance/bundle.sh

load:
	@$(APPLIANCE_ENV) bash ops/appliance/load.sh $(BUNDLE)

clamav-update:
	@$(APPLIANCE_ENV) bash ops/appliance/clamav-update.sh "$(SIGS)"

# CI and development only (they need the checkout's Node and npm packages).
appliance-test:
	@bash ops/appliance/appliance-test.sh

hardening-check:
	@node_modules/.bin/node ops/appliance/hardeningCheck.ts docker-compose.yml
