using Churn.Host.Cli;

StandardOutput.Reserve();
return await ChurnCli.RunAsync(args);
