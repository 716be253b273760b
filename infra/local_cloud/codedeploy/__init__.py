"""CodeDeploy's seams on moto: what a function's DeploymentPreference deploys (its application and group)."""
