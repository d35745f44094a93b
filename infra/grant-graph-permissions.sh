#!/usr/bin/env bash
# Grants driftwarden's managed identity the Microsoft Graph application permissions the identity
# controls read with (IDN-*: audit only, nothing is ever written to the tenant):
#   Policy.Read.All               Conditional Access policies
#   RoleManagement.Read.Directory directory role definitions, assignments, PIM eligibility
#   AccessReview.Read.All         access review definitions and instances
#   GroupMember.Read.All          members of groups excluded from policies or holding roles
#
# Bicep cannot grant Graph application permissions (they are app role assignments in Entra ID,
# not Azure RBAC). This is the one-time admin consent: run it once per deployment as a
# Privileged Role Administrator or Global Administrator (`az login` first). It is idempotent:
# permissions already granted are skipped.
#
# Usage: infra/grant-graph-permissions.sh <managed identity principal (object) id>
#    or: infra/grant-graph-permissions.sh --resource-group <rg> --name <identity name>
set -euo pipefail

GRAPH_APP_ID='00000003-0000-0000-c000-000000000000' # Microsoft Graph's well-known app id
PERMISSIONS=(Policy.Read.All RoleManagement.Read.Directory AccessReview.Read.All GroupMember.Read.All)
GRAPH="${DW_GRAPH_ENDPOINT:-https://graph.microsoft.com}"

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

principal_id=''
case "${1:-}" in
  --resource-group)
    [[ $# -eq 4 && "$3" == '--name' ]] || usage
    principal_id="$(az identity show --resource-group "$2" --name "$4" --query principalId --output tsv)"
    ;;
  '' | -h | --help) usage ;;
  *) principal_id="$1" ;;
esac
[[ "$principal_id" =~ ^[0-9a-fA-F-]{36}$ ]] || { echo "not an object id: $principal_id" >&2; exit 2; }

graph_sp="$(az rest --method GET \
  --url "$GRAPH/v1.0/servicePrincipals(appId='$GRAPH_APP_ID')?\$select=id" --query id --output tsv)"
granted="$(az rest --method GET \
  --url "$GRAPH/v1.0/servicePrincipals/$principal_id/appRoleAssignments?\$select=appRoleId,resourceId" \
  --query "value[?resourceId=='$graph_sp'].appRoleId" --output tsv)"

for permission in "${PERMISSIONS[@]}"; do
  role_id="$(az rest --method GET \
    --url "$GRAPH/v1.0/servicePrincipals/$graph_sp?\$select=appRoles" \
    --query "appRoles[?value=='$permission' && contains(allowedMemberTypes, 'Application')].id | [0]" --output tsv)"
  [[ -n "$role_id" ]] || { echo "Microsoft Graph has no application permission $permission" >&2; exit 1; }
  if grep -qx "$role_id" <<<"$granted"; then
    echo "already granted: $permission"
    continue
  fi
  az rest --method POST \
    --url "$GRAPH/v1.0/servicePrincipals/$principal_id/appRoleAssignments" \
    --headers 'Content-Type=application/json' \
    --body "{\"principalId\":\"$principal_id\",\"resourceId\":\"$graph_sp\",\"appRoleId\":\"$role_id\"}" \
    --output none
  echo "granted: $permission"
done
echo "Done. New permissions reach the app's tokens within about an hour (token cache); restart the Function App to pick them up sooner."
