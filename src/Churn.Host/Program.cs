using Churn.Host.Cli;

return await ChurnCli.RunAsync(args);
